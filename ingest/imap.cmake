# imap.cmake: IMAP ingest (issue 3): IMAP client over libcurl CONNECT_ONLY,
# response parser, sync engine. Included by ingest/CMakeLists.txt after
# inboxd_ingest is defined.
target_sources(inboxd_ingest PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/folder_names.cc
  ${CMAKE_CURRENT_LIST_DIR}/imap_parser.cc
  ${CMAKE_CURRENT_LIST_DIR}/imap_reader.cc
  ${CMAKE_CURRENT_LIST_DIR}/imap_curl_transport.cc
  ${CMAKE_CURRENT_LIST_DIR}/imap_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/imap_credentials.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_engine.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_memory_sink.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_fake_source.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_backoff.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_daemon.cc
  ${CMAKE_CURRENT_LIST_DIR}/sync_store_sink.cc)
target_link_libraries(inboxd_ingest PUBLIC inboxd_config inboxd_store CURL::libcurl spdlog::spdlog
  Threads::Threads)

inboxd_test(imap_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/imap_parser_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/imap_reader_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/imap_client_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/folder_names_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/imap_curl_transport_test.cc
  DEPS inboxd_ingest)
inboxd_test(sync_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/sync_engine_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/sync_backoff_test.cc
          ${CMAKE_CURRENT_LIST_DIR}/sync_store_sink_test.cc
  DEPS inboxd_ingest)
