# bench/cycle.cmake: cycle_bench (the daemon's steady-state cycle, store one
# message and run every stage, against stores of growing size; prints
# figures).
add_executable(cycle_bench ${CMAKE_CURRENT_LIST_DIR}/cycle_bench.cc)
target_compile_options(cycle_bench PRIVATE ${INBOXD_WARNINGS})
target_compile_definitions(cycle_bench PRIVATE
  INBOXD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(cycle_bench PRIVATE inboxd_processor inboxd_classify
                      inboxd_responder inboxd_ingest inboxd_store)
