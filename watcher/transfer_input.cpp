#include "watcher/transfer_input.h"

#include "core/printable_text.h"

namespace instamarket {

DepositInput ToDepositInput(const Transfer& t) {
  DepositInput d;
  d.tx_id = PrintableUtf8(t.tx_id, 256);
  d.event_index = t.event_index;
  d.from = PrintableUtf8(t.from, 256);
  d.to = PrintableUtf8(t.to, 256);
  d.raw_amount = t.amount.raw;
  d.decimals = t.amount.decimals;
  auto micros = ToMicros(t.amount);
  d.amount_in_range = micros.ok();
  d.amount = micros.ok() ? micros->amount : Money();
  d.block_number = t.block_number;
  d.block_hash = PrintableUtf8(t.block_hash, 256);
  d.block_time = t.block_time;
  d.memo = PrintableUtf8(t.memo, 4096);
  return d;
}

}  // namespace instamarket
