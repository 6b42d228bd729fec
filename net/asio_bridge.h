#pragma once

// For .cpp files only (never include from a header): the Asio objects behind a Runtime, and
// RunBlocking, which moves a blocking call onto the blocking pool and resumes the coroutine
// on its own executor with the result.

// Boost 1.74's Asio coroutine headers use std::exchange without including <utility>.
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>

#include "net/runtime.h"

namespace instamarket {

struct RuntimeAccess {
  static boost::asio::io_context& Io(Runtime& runtime);
  static boost::asio::thread_pool& Blocking(Runtime& runtime);
};

template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> RunBlocking(boost::asio::thread_pool& pool, F fn) {
  namespace asio = boost::asio;
  using T = std::invoke_result_t<F>;
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(T)>(
      [&pool](auto handler, F work) {
        asio::post(pool, [handler = std::move(handler), work = std::move(work)]() mutable {
          T result = work();
          auto executor = asio::get_associated_executor(handler);
          asio::post(executor, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(fn));
}

}  // namespace instamarket
