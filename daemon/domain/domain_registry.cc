#include "daemon/domain/domain_registry.h"

#include "absl/strings/str_cat.h"

namespace xenia {

absl::Status DomainRegistry::Insert(DomainEntry entry) {
  absl::MutexLock lock(&mu_);
  if (by_name_.find(entry.name()) != by_name_.end()) {
    return absl::AlreadyExistsError(absl::StrCat("domain \"", entry.name(), "\" already exists"));
  }
  if (by_uuid_.contains(entry.uuid())) {
    return absl::AlreadyExistsError(
        absl::StrCat("a domain with uuid ", entry.uuid(), " already exists"));
  }
  auto owned = std::make_unique<DomainEntry>(std::move(entry));
  DomainEntry* raw = owned.get();
  by_uuid_[raw->uuid()] = raw;
  by_name_.emplace(raw->name(), std::move(owned));
  return absl::OkStatus();
}

bool DomainRegistry::Remove(absl::string_view uuid) {
  absl::MutexLock lock(&mu_);
  auto it = by_uuid_.find(uuid);
  if (it == by_uuid_.end()) return false;
  std::string name = it->second->name();
  by_uuid_.erase(it);
  by_name_.erase(name);
  return true;
}

std::optional<DomainEntry> DomainRegistry::GetByName(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return *it->second;
}

std::optional<DomainEntry> DomainRegistry::GetByUuid(absl::string_view uuid) const {
  absl::MutexLock lock(&mu_);
  auto it = by_uuid_.find(uuid);
  if (it == by_uuid_.end()) return std::nullopt;
  return *it->second;
}

bool DomainRegistry::ContainsName(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  return by_name_.find(name) != by_name_.end();
}

absl::StatusOr<DomainRegistry::Change> DomainRegistry::Update(
    absl::string_view uuid, absl::Time now, const std::function<void(DomainEntry&)>& mutate) {
  absl::MutexLock lock(&mu_);
  auto it = by_uuid_.find(uuid);
  if (it == by_uuid_.end()) {
    return absl::NotFoundError(absl::StrCat("no domain with uuid ", uuid));
  }
  DomainEntry& entry = *it->second;
  Change change{entry, {}};
  mutate(entry);
  // The name and uuid index the maps; a mutation must not change them.
  entry.spec.set_name(change.before.name());
  entry.spec.set_uuid(change.before.uuid());
  entry.generation = change.before.generation + 1;
  entry.update_time = now;
  change.after = entry;
  return change;
}

bool DomainRegistry::RefreshFacts(absl::string_view uuid, int32_t domid,
                                  const std::function<void(xenia::v1::DomainStatus&)>& apply) {
  absl::MutexLock lock(&mu_);
  auto it = by_uuid_.find(uuid);
  if (it == by_uuid_.end()) return false;
  xenia::v1::DomainStatus& status = it->second->status;
  if (!status.has_domid() || status.domid() != domid) return false;
  apply(status);
  return true;
}

DomainRegistry::Page DomainRegistry::List(
    absl::string_view after_name, int limit,
    const std::function<bool(const DomainEntry&)>& match) const {
  Page page;
  PageInfo info = VisitPage(after_name, limit, match,
                            [&page](const DomainEntry& e) { page.entries.push_back(e); });
  page.more = info.more;
  page.total = info.total;
  return page;
}

DomainRegistry::PageInfo DomainRegistry::VisitPage(
    absl::string_view after_name, int limit, const std::function<bool(const DomainEntry&)>& match,
    const std::function<void(const DomainEntry&)>& visit) const {
  PageInfo info;
  int visited = 0;
  absl::MutexLock lock(&mu_);
  auto it = after_name.empty() ? by_name_.begin() : by_name_.upper_bound(after_name);
  if (!match) {
    // Everything matches: the total is the size, and the walk stops at the
    // end of the page.
    info.total = static_cast<int32_t>(by_name_.size());
    for (; it != by_name_.end() && visited < limit; ++it, ++visited) {
      visit(*it->second);
      info.last_name = it->first;
    }
    info.more = it != by_name_.end();
    return info;
  }
  // Matches before the page still count towards the total.
  for (auto before = by_name_.begin(); before != it; ++before) {
    if (match(*before->second)) ++info.total;
  }
  for (; it != by_name_.end(); ++it) {
    if (!match(*it->second)) continue;
    ++info.total;
    if (visited < limit) {
      visit(*it->second);
      info.last_name = it->first;
      ++visited;
    } else {
      info.more = true;
    }
  }
  return info;
}

std::vector<DomainEntry> DomainRegistry::Snapshot() const {
  absl::MutexLock lock(&mu_);
  std::vector<DomainEntry> out;
  out.reserve(by_name_.size());
  for (const auto& [name, entry] : by_name_) out.push_back(*entry);
  return out;
}

DomainRegistry::Counts DomainRegistry::Count() const {
  absl::MutexLock lock(&mu_);
  Counts counts;
  for (const auto& [name, entry] : by_name_) {
    ++counts.defined;
    if (entry->status.has_domid()) ++counts.active;
  }
  return counts;
}

size_t DomainRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return by_name_.size();
}

}  // namespace xenia
