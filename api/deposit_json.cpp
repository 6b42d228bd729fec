#include "api/deposit_json.h"

namespace instamarket {

void WriteDepositJson(JsonWriter& json, const DepositRow& d) {
  json.BeginObject()
      .Field("id", d.id)
      .Field("network", d.network)
      .Field("tx_id", d.tx_id)
      .Field("index", d.event_index)
      .Field("from", d.from)
      .Field("to", d.to)
      .Field("amount_usdt", d.amount)
      .Field("raw_amount", d.raw_amount)
      .Field("block", d.block_number)
      .Field("time", d.block_time)
      .Field("status", d.status);
  json.Key("reason");
  if (d.reason)
    json.String(*d.reason);
  else
    json.Null();
  json.Key("key_id");
  if (d.key_id)
    json.Int(*d.key_id);
  else
    json.Null();
  json.Key("topup_id");
  if (d.intent_id)
    json.String(*d.intent_id);
  else
    json.Null();
  // amount | fee (credited short: an exchange kept its withdrawal fee) | memo
  json.Key("matched_by");
  if (d.matched_by)
    json.String(*d.matched_by);
  else
    json.Null();
  json.Field("credited_short", d.short_paid);
  json.Key("memo");  // the comment the sender attached (TON, Solana), for finance to reconcile
  if (!d.memo.empty())
    json.String(d.memo);
  else
    json.Null();
  json.Field("detected_at", d.detected_at);
  json.Key("reorg_status");  // vanished | remined: a deep reorg replaced its block
  if (d.reorg_status)
    json.String(*d.reorg_status);
  else
    json.Null();
  json.EndObject();
}

}  // namespace instamarket
