#include "sip/stored_messages.h"

#include "schema/sip.pb.h"
#include "sip/bindings.h"

namespace parley::sip {
namespace {

constexpr std::size_t kMapSize = std::size_t{1} << 32;
// Bounds on a stored record, whatever the limits in force when it was made.
constexpr std::size_t kMaxStored = 10000;
constexpr std::size_t kMaxField = 8192;

Status check_account(std::string_view account) {
  if (account.empty() || account.size() > kMaxAccount) return fail(Errc::invalid, "bad account name");
  return {};
}

Result<schema::SipStoredMessages> load(const lmdb::Txn& txn, MDB_dbi dbi, std::string_view account) {
  schema::SipStoredMessages rec;
  auto raw = txn.get(dbi, account);
  if (!raw) {
    if (raw.code() == Errc::not_found) return rec;
    return raw.error();
  }
  const auto bad = [&](std::string_view why) {
    return fail(Errc::internal, "stored messages of " + std::string(account) + ": " + std::string(why));
  };
  if (!rec.ParseFromArray(raw->data(), static_cast<int>(raw->size()))) return bad("does not parse");
  if (static_cast<std::size_t>(rec.messages_size()) > kMaxStored) return bad("too many messages");
  for (const auto& m : rec.messages()) {
    if (m.from().size() > kMaxField || m.content_type().size() > kMaxField || m.date().size() > kMaxField ||
        m.body().size() > kMaxMessageSize) {
      return bad("a field's size");
    }
  }
  return rec;
}

Status save(lmdb::Txn& txn, MDB_dbi dbi, std::string_view account, const schema::SipStoredMessages& rec) {
  if (rec.messages_size() == 0) {
    auto s = txn.del(dbi, account);
    if (!s && s.code() != Errc::not_found) return s;
    return {};
  }
  return txn.put(dbi, account, rec.SerializeAsString());
}

}  // namespace

Result<StoredMessages> StoredMessages::open(const std::string& dir) {
  lmdb::EnvOptions options;
  options.map_size = kMapSize;
  options.max_dbs = 2;
  auto env = lmdb::Env::open(dir, options);
  if (!env) return env.error();
  auto dbi = env->dbi("messages");
  if (!dbi) return dbi.error();
  return StoredMessages(std::move(*env), *dbi);
}

Result<std::uint64_t> StoredMessages::store(std::string_view account, StoredMessage message, const StoreLimits& limits) {
  if (auto s = check_account(account); !s) return s.error();
  if (message.from.size() > kMaxField || message.content_type.size() > kMaxField || message.date.size() > kMaxField ||
      message.body.size() > kMaxMessageSize) {
    return fail(Errc::limit, "message too large to keep");
  }
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto rec = load(*txn, dbi_, account);
  if (!rec) return rec.error();
  std::size_t bytes = message.body.size();
  for (const auto& m : rec->messages()) bytes += m.body().size();
  const auto count = static_cast<std::size_t>(rec->messages_size()) + 1;
  if (count > limits.max_messages || count > kMaxStored || bytes > limits.max_bytes) {
    return fail(Errc::limit, "the account's stored messages are full");
  }
  const std::uint64_t id = rec->next_id() + 1;
  rec->set_next_id(id);
  auto* m = rec->add_messages();
  m->set_id(id);
  m->set_from(std::move(message.from));
  m->set_content_type(std::move(message.content_type));
  m->set_body(std::move(message.body));
  m->set_date(std::move(message.date));
  if (auto s = save(*txn, dbi_, account, *rec); !s) return s.error();
  if (auto s = txn->commit(); !s) return s.error();
  return id;
}

Result<std::vector<StoredMessage>> StoredMessages::pending(std::string_view account) const {
  if (auto s = check_account(account); !s) return s.error();
  auto txn = env_.read();
  if (!txn) return txn.error();
  auto rec = load(*txn, dbi_, account);
  if (!rec) return rec.error();
  std::vector<StoredMessage> out;
  for (const auto& m : rec->messages()) out.push_back({m.id(), m.from(), m.content_type(), m.body(), m.date()});
  return out;
}

Status StoredMessages::remove(std::string_view account, std::uint64_t id) {
  if (auto s = check_account(account); !s) return s;
  auto txn = env_.write();
  if (!txn) return txn.error();
  auto rec = load(*txn, dbi_, account);
  if (!rec) return rec.error();
  auto* list = rec->mutable_messages();
  const int before = list->size();
  for (int i = 0; i < list->size(); ++i) {
    if (list->Get(i).id() == id) {
      list->DeleteSubrange(i, 1);
      break;
    }
  }
  if (list->size() == before) return fail(Errc::not_found, "no such stored message");
  if (auto s = save(*txn, dbi_, account, *rec); !s) return s;
  return txn->commit();
}

}  // namespace parley::sip
