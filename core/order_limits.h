#pragma once

#include <cstdint>
#include <limits>

namespace instamarket {

// The most units one order may buy (the spec's 1..10000).
inline constexpr int kMaxOrderQuantity = 10000;

// The highest unit price the catalog accepts, in micro-USDT: so that price × kMaxOrderQuantity
// always fits in int64 and an order's total can never overflow (922,337,203.685477 USDT).
inline constexpr std::int64_t kMaxUnitPriceMicros =
    std::numeric_limits<std::int64_t>::max() / kMaxOrderQuantity;

}  // namespace instamarket
