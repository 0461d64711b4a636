# The library's sources, listed explicitly (no globbing: a new file is a reviewed change).
set(SUBSIDY_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/../src/error.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/decimal.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/document.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/json_check.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/sha256.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/expression.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/rules.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/facts.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/evaluate.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/render.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/json.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/columnar.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/audit.cpp
  ${CMAKE_CURRENT_LIST_DIR}/../src/structure.cpp
)
