# bench/export.cmake: export_bench (`inboxd export audit` over 1,000,000
# synthetic events: events/s and peak RSS of each export; prints figures).
add_executable(export_bench ${CMAKE_CURRENT_LIST_DIR}/export_bench.cc)
target_compile_options(export_bench PRIVATE ${INBOXD_WARNINGS})
target_compile_options(export_bench PRIVATE -Wno-missing-field-initializers)
target_link_libraries(export_bench PRIVATE inboxd_store)
