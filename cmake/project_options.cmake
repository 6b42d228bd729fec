# Warning and sanitizer flags travel as INTERFACE targets, so every module opts in the same way.
add_library(instamarket_warnings INTERFACE)
target_compile_options(instamarket_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough
  $<$<BOOL:${INSTAMARKET_WERROR}>:-Werror>)

add_library(instamarket_sanitizers INTERFACE)
if(INSTAMARKET_SANITIZE)
  target_compile_options(instamarket_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(instamarket_sanitizers INTERFACE -fsanitize=address,undefined)
  # clang 14's -fsanitize=function (part of "undefined") breaks on coroutine frames: "Cannot
  # represent a difference across sections" in every file with a co_await.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(instamarket_sanitizers INTERFACE -fno-sanitize=function)
  endif()
endif()

# Fuzzing: every module gets libFuzzer's coverage instrumentation (the harnesses link the
# fuzzer itself), so the fuzzer sees branches in the product code, not just in the harness.
if(INSTAMARKET_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "INSTAMARKET_FUZZ needs clang++ (libFuzzer): configure with "
                        "-DCMAKE_CXX_COMPILER=clang++, as scripts/fuzz.sh does")
  endif()
  target_compile_options(instamarket_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()

add_library(instamarket_options INTERFACE)
target_link_libraries(instamarket_options INTERFACE instamarket_warnings instamarket_sanitizers)
# Boost 1.74 looks for clang's coroutines in <experimental/coroutine>, which libstdc++ does not
# have, and so hides asio::awaitable; clang 14 has C++20's <coroutine>: say so.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_definitions(instamarket_options INTERFACE
    BOOST_ASIO_HAS_CO_AWAIT BOOST_ASIO_HAS_STD_COROUTINE)
endif()
target_include_directories(instamarket_options INTERFACE ${PROJECT_SOURCE_DIR})
