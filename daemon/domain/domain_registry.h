// DomainRegistry: the daemon's in-memory table of managed domains, the copy
// that every read is served from. The store holds the durable copy; the
// operation engine keeps the two in step (it changes an entry and journals it
// in the same step).
//
// Thread-safe: all methods may be called from any thread; each call is atomic.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

struct DomainEntry {
  xenia::v1::DomainSpec spec;
  xenia::v1::DomainStatus status;
  absl::Time create_time;
  absl::Time update_time;
  // Bumped on every change; the resource's etag.
  int64_t generation = 1;

  const std::string& uuid() const { return spec.uuid(); }
  const std::string& name() const { return spec.name(); }
};

class DomainRegistry {
 public:
  // Adds a domain. ALREADY_EXISTS naming the name (or uuid) if taken.
  absl::Status Insert(DomainEntry entry);
  // Removes a domain; false if it was not there.
  bool Remove(absl::string_view uuid);

  std::optional<DomainEntry> GetByName(absl::string_view name) const;
  std::optional<DomainEntry> GetByUuid(absl::string_view uuid) const;
  bool ContainsName(absl::string_view name) const;

  // Applies `mutate` to the entry under the lock, bumps its generation and
  // update_time, and returns the entry before and after. NOT_FOUND if absent.
  struct Change {
    DomainEntry before;
    DomainEntry after;
  };
  absl::StatusOr<Change> Update(absl::string_view uuid, absl::Time now,
                                const std::function<void(DomainEntry&)>& mutate);

  // Refreshes the live facts (CPU time, memory…) of a domain that still has
  // `domid`, without counting it as a change: no new etag. Returns false if
  // the domain is gone or has another domid.
  bool RefreshFacts(absl::string_view uuid, int32_t domid,
                    const std::function<void(xenia::v1::DomainStatus&)>& apply);

  // Entries whose name sorts after `after_name` and that satisfy `match`, in
  // name order, at most `limit`; `total` counts every match, `more` says a
  // further page exists.
  struct Page {
    std::vector<DomainEntry> entries;
    bool more = false;
    int32_t total = 0;
  };
  Page List(absl::string_view after_name, int limit,
            const std::function<bool(const DomainEntry&)>& match) const;
  // The same page, handed to `visit` under the lock instead of copied out;
  // an empty `match` matches everything (and costs nothing per entry)
  // (`visit` must be quick and must not call back into the registry).
  // Returns the page's facts, with `entries` empty; `last_name` is the name
  // of the last entry visited.
  struct PageInfo {
    bool more = false;
    int32_t total = 0;
    std::string last_name;
  };
  PageInfo VisitPage(absl::string_view after_name, int limit,
                     const std::function<bool(const DomainEntry&)>& match,
                     const std::function<void(const DomainEntry&)>& visit) const;

  // How many domains are defined, and how many of those exist in the
  // hypervisor (have a domid).
  struct Counts {
    int32_t defined = 0;
    int32_t active = 0;
  };
  Counts Count() const;

  // A copy of every entry (for reconciliation and metrics).
  std::vector<DomainEntry> Snapshot() const;
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  // By name, so that listings come out sorted and page by name.
  std::map<std::string, std::unique_ptr<DomainEntry>, std::less<>> by_name_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, DomainEntry*> by_uuid_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xenia
