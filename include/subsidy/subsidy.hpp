// The whole public API of the subsidy library.
#pragma once

#include "subsidy/audit.hpp"
#include "subsidy/columnar.hpp"
#include "subsidy/decimal.hpp"
#include "subsidy/error.hpp"
#include "subsidy/evaluate.hpp"
#include "subsidy/facts.hpp"
#include "subsidy/rules.hpp"
#include "subsidy/structure.hpp"
#include "subsidy/version.hpp"
