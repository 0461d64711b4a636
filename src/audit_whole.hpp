// The audit without the batch engine: every enterprise-year a grant needs evaluated whole by the
// reference evaluator. The report subsidy::audit must give, byte for byte; the differential test
// compares the two.
#pragma once

#include <vector>

#include "subsidy/audit.hpp"

namespace subsidy::detail {

AuditReport audit_whole(const RuleSet& rules, const std::vector<Enterprise>& enterprises,
                        const std::vector<Grant>& ledger, const Scenario& scenario);

}  // namespace subsidy::detail
