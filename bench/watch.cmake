# bench/watch.cmake: watch_bench (the deadline watcher's pending-work query
# and steps against stores of growing size; prints figures).
add_executable(watch_bench ${CMAKE_CURRENT_LIST_DIR}/watch_bench.cc)
target_compile_options(watch_bench PRIVATE ${INBOXD_WARNINGS})
target_compile_definitions(watch_bench PRIVATE
  INBOXD_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_link_libraries(watch_bench PRIVATE inboxd_responder inboxd_ingest
                      inboxd_store)
