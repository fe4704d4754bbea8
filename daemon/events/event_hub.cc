#include "daemon/events/event_hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/thread_name.h"

namespace xenia {
namespace {

// Pruning starts once this many events beyond the retention are stored, so
// that it deletes in batches rather than one row per new event.
int64_t PruneSlack(int64_t retention) { return std::max<int64_t>(retention / 10, 1); }

}  // namespace

bool ResourceCovers(absl::string_view filter, absl::string_view resource) {
  if (filter.empty()) return true;
  if (!absl::StartsWith(resource, filter)) return false;
  return resource.size() == filter.size() || resource[filter.size()] == '/';
}

absl::StatusOr<std::unique_ptr<EventHub>> EventHub::Start(const EventHubOptions& options,
                                                          store::Store& store, Journal& journal,
                                                          const Clock& clock, Logger& logger) {
  if (options.retention < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("event_retention must be at least 1, got ", options.retention));
  }
  std::unique_ptr<EventHub> hub(new EventHub(options, store, journal, clock, logger));
  absl::StatusOr<std::vector<store::EventRow>> oldest = store.ReadEvents(0, 1, "");
  if (!oldest.ok()) return oldest.status();
  {
    absl::MutexLock lock(&hub->mu_);
    hub->last_sequence_ = journal.last_sequence();
    hub->oldest_sequence_ = oldest->empty() ? hub->last_sequence_ + 1 : (*oldest)[0].sequence;
  }
  hub->pruner_ = std::thread([h = hub.get()] {
    SetThreadName("xeniad-prune");
    h->PruneLoop();
  });
  return hub;
}

EventHub::EventHub(const EventHubOptions& options, store::Store& store, Journal& journal,
                   const Clock& clock, Logger& logger)
    : options_(options), store_(store), journal_(journal), clock_(clock), logger_(logger) {}

EventHub::~EventHub() {
  CloseAll(absl::UnavailableError("xeniad is stopping"));
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (pruner_.joinable()) pruner_.join();
}

void EventHub::Publish(const std::vector<xenia::v1::Event>& events) {
  if (events.empty()) return;
  absl::MutexLock lock(&mu_);
  for (const xenia::v1::Event& event : events) {
    recent_.push_back(event);
    last_sequence_ = std::max(last_sequence_, event.sequence());
  }
  while (static_cast<int64_t>(recent_.size()) > options_.memory_window) recent_.pop_front();
  if (closed_) return;
  std::vector<const xenia::v1::Event*> matching;
  std::erase_if(subscribers_, [&](const Subscriber& s) {
    matching.clear();
    for (const xenia::v1::Event& event : events) {
      if (ResourceCovers(s.resource, event.resource())) matching.push_back(&event);
    }
    return !matching.empty() && !s.watcher->OnEvents(matching);
  });
}

absl::Status EventHub::CheckRange(int64_t after_sequence) {
  absl::MutexLock lock(&mu_);
  return CheckRangeLocked(after_sequence);
}

absl::Status EventHub::CheckRangeLocked(int64_t after_sequence) {
  if (after_sequence < -1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "after_sequence must be -1 (from now), 0 (from the oldest kept) or a sequence, got ",
        after_sequence));
  }
  if (after_sequence > last_sequence_) {
    return absl::OutOfRangeError(absl::StrCat(
        "after_sequence ", after_sequence, " is beyond the newest event (", last_sequence_,
        "): this daemon's history does not contain it; re-list, then watch from ", last_sequence_));
  }
  if (after_sequence > 0 && after_sequence + 1 < oldest_sequence_) {
    return absl::OutOfRangeError(
        absl::StrCat("events after ", after_sequence, " are no longer kept (the oldest kept is ",
                     oldest_sequence_, "; retention ", options_.retention,
                     " events): re-list, then watch from ", last_sequence_));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> EventHub::Subscribe(int64_t after_sequence, const std::string& resource,
                                            EventWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("xeniad is stopping; watch the restarted daemon");
  if (absl::Status s = CheckRangeLocked(after_sequence); !s.ok()) return s;
  subscribers_.push_back(Subscriber{watcher, resource});
  return last_sequence_;
}

void EventHub::Unsubscribe(EventWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  std::erase_if(subscribers_, [watcher](const Subscriber& s) { return s.watcher == watcher; });
}

absl::StatusOr<std::vector<xenia::v1::Event>> EventHub::Read(int64_t after, int64_t up_to,
                                                             int limit,
                                                             const std::string& resource) {
  std::vector<xenia::v1::Event> out;
  {
    absl::MutexLock lock(&mu_);
    if (absl::Status s = CheckRangeLocked(after); !s.ok()) return s;
    if (after < 0 || after >= last_sequence_ || limit <= 0) return out;  // nothing to read
    const int64_t first_wanted = std::max(after + 1, oldest_sequence_);
    if (!recent_.empty() && recent_.front().sequence() <= first_wanted) {
      for (const xenia::v1::Event& event : recent_) {
        if (event.sequence() <= after || event.sequence() < oldest_sequence_) continue;
        if (event.sequence() > up_to || static_cast<int>(out.size()) >= limit) break;
        if (ResourceCovers(resource, event.resource())) out.push_back(event);
      }
      return out;
    }
  }
  // Older than the memory window: from the store, page by page, until
  // `limit` events under `resource` or `up_to` is reached.
  int64_t cursor = std::max<int64_t>(after, 0);
  while (static_cast<int>(out.size()) < limit && cursor < up_to) {
    const int page = static_cast<int>(
        std::min<int64_t>(std::max(limit - static_cast<int>(out.size()), 64), up_to - cursor));
    absl::StatusOr<std::vector<store::EventRow>> rows = store_.ReadEvents(cursor, page, resource);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) break;
    for (const store::EventRow& row : *rows) {
      cursor = row.sequence;
      if (row.sequence > up_to || static_cast<int>(out.size()) >= limit) {
        cursor = up_to;
        break;
      }
      xenia::v1::Event event;
      if (!event.ParseFromString(row.body)) {
        return absl::DataLossError(
            absl::StrCat("stored event ", row.sequence, " cannot be parsed"));
      }
      out.push_back(std::move(event));
    }
    if (static_cast<int>(rows->size()) < page) break;
  }
  // Pruning may have run meanwhile: what was read is still right, but say
  // so if events right after `after` were dropped before they were read.
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckRangeLocked(after); !s.ok()) return s;
  return out;
}

void EventHub::CloseAll(const absl::Status& why) {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  for (const Subscriber& s : subscribers_) s.watcher->OnClosed(why);
  subscribers_.clear();
}

int64_t EventHub::last_sequence() {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

int64_t EventHub::oldest_sequence() {
  absl::MutexLock lock(&mu_);
  return oldest_sequence_;
}

size_t EventHub::watcher_count() {
  absl::MutexLock lock(&mu_);
  return subscribers_.size();
}

bool EventHub::PruneDue() const {
  return stopping_ || last_sequence_ - oldest_sequence_ + 1 >
                          options_.retention + PruneSlack(options_.retention);
}

void EventHub::PruneLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &EventHub::PruneDue));
      if (stopping_) return;
    }
    absl::StatusOr<int64_t> dropped = store_.PruneEvents(options_.retention);
    absl::StatusOr<std::vector<store::EventRow>> oldest =
        dropped.ok() ? store_.ReadEvents(0, 1, "") : dropped.status();
    if (!oldest.ok()) {
      logger_.Error("cannot drop old events; the events table keeps growing",
                    {{"error", oldest.status()}});
      absl::MutexLock lock(&mu_);
      // Try again only when stopping or after the next retention's worth.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Seconds(30));
      if (stopping_) return;
      continue;
    }
    int64_t first_kept = 0;
    {
      absl::MutexLock lock(&mu_);
      if (!oldest->empty()) oldest_sequence_ = (*oldest)[0].sequence;
      first_kept = oldest_sequence_;
    }
    xenia::v1::Event event;
    event.set_type(xenia::v1::Event::RECORDS_DROPPED);
    event.set_resource(options_.host_resource);
    event.set_message(absl::StrCat("dropped ", *dropped, " events older than sequence ", first_kept,
                                   " (event_retention ", options_.retention, ")"));
    JournalChange change;
    change.events.push_back(std::move(event));
    if (absl::Status s = journal_.Write(std::move(change), clock_.Now()); !s.ok()) {
      logger_.Warn("cannot record that old events were dropped", {{"error", s}});
    }
    logger_.Debug("dropped old events", {{"dropped", *dropped}, {"oldest_kept", first_kept}});
  }
}

}  // namespace xenia
