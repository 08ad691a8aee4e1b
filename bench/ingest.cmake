# bench/ingest.cmake: ingest_bench (first sync of a private Dovecot vs mbsync;
# run it through bench/ingest). Needs the test rig (tests/rig).
if(TARGET inboxd_test_rig)
  add_executable(ingest_bench ${CMAKE_CURRENT_LIST_DIR}/ingest_bench.cc)
  target_compile_options(ingest_bench PRIVATE ${INBOXD_WARNINGS})
  target_link_libraries(ingest_bench PRIVATE inboxd_ingest inboxd_store
                        inboxd_test_rig)
endif()
