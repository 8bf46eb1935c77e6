// `parleyctl queue ...`, forwarded by parleyd (which checked who asked and
// names them in `actor`).
#include <algorithm>

#include "dequeuer.h"
#include "log/log.h"

namespace parley::dequeuer {
namespace {

constexpr std::size_t kMaxListed = 10000;  // entries in one LIST reply; the summary counts them all

std::string destination(const schema::Recipient& r) {
  if (r.local()) return "local";
  auto at = r.resolved().rfind('@');
  return at == std::string::npos ? r.resolved() : r.resolved().substr(at + 1);
}

}  // namespace

bool Dequeuer::remove_now(const std::string& id, const std::string& actor) {
  if (!queue_->get(id)) return false;
  if (running_.contains(id)) {
    doomed_.insert(id);
  } else if (auto s = queue_->remove(id); !s) {
    log::error("queue.admin.failed", "cannot delete", {{"queue_id", id}, {"error", s.error().detail}});
    return false;
  }
  if (auto it = scheduled_.find(id); it != scheduled_.end()) {
    auto range = due_.equal_range(it->second);
    for (auto d = range.first; d != range.second; ++d) {
      if (d->second == id) {
        due_.erase(d);
        break;
      }
    }
    scheduled_.erase(it);
  }
  log::info("queue.admin.deleted", "deleted by the administrator", {{"queue_id", id}, {"actor", actor}});
  return true;
}

bool Dequeuer::hold_now(const std::string& id, bool hold, const std::string& actor) {
  auto e = queue_->get(id);
  if (!e) return false;
  if (hold && running_.contains(id)) {
    held_.insert(id);
  } else {
    e->set_hold(hold);
    if (auto s = queue_->update(*e); !s) return false;
  }
  if (!hold) schedule(id, Clock::now());
  log::info(hold ? "queue.admin.held" : "queue.admin.released", hold ? "held" : "released", {{"queue_id", id}, {"actor", actor}});
  return true;
}

awaitable<Result<schema::QueueAdminReply>> Dequeuer::admin(schema::QueueAdminRequest req) {
  schema::QueueAdminReply reply;
  std::vector<std::string> ids(req.queue_ids().begin(), req.queue_ids().end());
  for (const auto& id : ids) {
    if (!queue::valid_id(id)) co_return fail(Errc::invalid, "not a queue id: " + id.substr(0, 40));
  }
  switch (req.op()) {
    case schema::QueueAdminRequest::OP_LIST: {
      auto s = queue_->scan([&](const schema::QueueEntry& e) {
        *reply.add_entries() = e;
        return static_cast<std::size_t>(reply.entries_size()) < kMaxListed;
      });
      if (!s) co_return s.error();
      break;
    }
    case schema::QueueAdminRequest::OP_SHOW:
      for (const auto& id : ids) {
        if (auto e = queue_->get(id)) *reply.add_entries() = std::move(e.value());
        else reply.add_missing(id);
      }
      break;
    case schema::QueueAdminRequest::OP_FLUSH: {
      if (ids.empty()) {
        auto s = queue_->scan([&](const schema::QueueEntry& e) {
          if (!e.hold()) ids.push_back(e.envelope().message_id());
          return true;
        });
        if (!s) co_return s.error();
      }
      for (const auto& id : ids) {
        auto e = queue_->get(id);
        if (!e) {
          reply.add_missing(id);
          continue;
        }
        if (e->hold()) continue;
        forced_.insert(id);
        schedule(id, Clock::now());
        reply.set_affected(reply.affected() + 1);
      }
      log::info("queue.admin.flushed", "flush requested", {{"count", reply.affected()}, {"actor", req.actor()}});
      break;
    }
    case schema::QueueAdminRequest::OP_DELETE:
      for (const auto& id : ids) {
        if (remove_now(id, req.actor())) reply.set_affected(reply.affected() + 1);
        else reply.add_missing(id);
      }
      break;
    case schema::QueueAdminRequest::OP_HOLD:
    case schema::QueueAdminRequest::OP_RELEASE:
      for (const auto& id : ids) {
        if (hold_now(id, req.op() == schema::QueueAdminRequest::OP_HOLD, req.actor())) reply.set_affected(reply.affected() + 1);
        else reply.add_missing(id);
      }
      break;
    case schema::QueueAdminRequest::OP_SUMMARY: {
      std::map<std::string, schema::QueueDestination> dests;
      auto s = queue_->scan([&](const schema::QueueEntry& e) {
        std::set<std::string> counted;
        for (const auto& r : e.envelope().recipients()) {
          if (!undelivered(r)) continue;
          auto& d = dests[destination(r)];
          d.set_name(destination(r));
          d.set_recipients(d.recipients() + 1);
          if (counted.insert(d.name()).second) d.set_messages(d.messages() + 1);
          std::int64_t at = e.envelope().received_unix_ms();
          if (d.oldest_unix_ms() == 0 || at < d.oldest_unix_ms()) d.set_oldest_unix_ms(at);
        }
        return true;
      });
      if (!s) co_return s.error();
      for (auto& [name, d] : dests) *reply.add_destinations() = std::move(d);
      break;
    }
    default: co_return fail(Errc::invalid, "unknown queue operation");
  }
  co_return reply;
}

}  // namespace parley::dequeuer
