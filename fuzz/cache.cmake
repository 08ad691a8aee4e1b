# cache.cmake: the settings of the fuzz build, loaded before the first
# target: cmake -C fuzz/cache.cmake -S . -B build/fuzz (scripts/fuzz does).
#
# Why clang 16 and not Debian's default clang 14: inboxd uses std::expected
# (core/error.h), and libstdc++ 12 declares it only when
# __cpp_concepts >= 202002L. Clang 14 and 16 both report 201907L; clang 16
# implements what <expected> needs (P0848, conditionally trivial special
# members) but does not yet say so, so the macro is raised by hand. Clang 14
# cannot compile libstdc++'s <expected> even then (its destructors come out
# deleted).
set(CMAKE_CXX_COMPILER clang++-16 CACHE STRING "")
set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "")
set(CMAKE_CXX_FLAGS
    "-D__cpp_concepts=202002L -Wno-macro-redefined -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
    CACHE STRING "")
# -O1 and line tables only (OSS-Fuzz's choice): the instrumented build
# compiles faster than at -O2 -g and still symbolizes every frame.
set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only" CACHE STRING "")
set(INBOXD_FUZZ ON CACHE BOOL "")
set(INBOXD_BUILD_TESTS OFF CACHE BOOL "")
set(INBOXD_BUILD_BENCH OFF CACHE BOOL "")
# Building a static library does not first build the libraries it links, so
# the fuzz target builds only the libraries the fuzzers link (fuzz/
# CMakeLists.txt).
set(CMAKE_OPTIMIZE_DEPENDENCIES ON CACHE BOOL "")
