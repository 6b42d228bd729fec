// Boost's assertions in the fuzz build's Beast parser (net/asio_impl.cpp is compiled with
// BOOST_ENABLE_ASSERT_HANDLER there). Every one aborts, as BOOST_ASSERT would, except
// `n >= 5` in basic_parser::parse_chunk_header: Boost 1.74 asserts it wrongly when the bytes of a
// final chunk ("0\r\n", then "\r\n") arrive in separate reads; the code after it is right and
// answers need_more (fixed upstream in boostorg/beast#2861). The release build has no asserts.
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace boost {

void assertion_failed_msg(char const* expr, char const* msg, char const* function, char const* file,
                          long line) {
  if (std::strcmp(expr, "n >= 5") == 0 && std::strstr(function, "parse_chunk_header")) return;
  std::fprintf(stderr, "%s:%ld: %s: Assertion `%s' failed%s%s\n", file, line, function, expr,
               msg ? ": " : "", msg ? msg : "");
  std::abort();
}

void assertion_failed(char const* expr, char const* function, char const* file, long line) {
  assertion_failed_msg(expr, nullptr, function, file, line);
}

}  // namespace boost
