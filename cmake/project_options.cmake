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
endif()

add_library(instamarket_options INTERFACE)
target_link_libraries(instamarket_options INTERFACE instamarket_warnings instamarket_sanitizers)
target_include_directories(instamarket_options INTERFACE ${PROJECT_SOURCE_DIR})
