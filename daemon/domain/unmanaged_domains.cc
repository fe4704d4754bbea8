#include "daemon/domain/unmanaged_domains.h"

#include "daemon/domain/domain_proto.h"
#include "daemon/proto_time.h"

namespace xenia {

void UnmanagedDomains::Replace(std::vector<hv::DomainFacts> facts, absl::Time observed) {
  std::map<std::string, hv::DomainFacts, std::less<>> by_name;
  for (hv::DomainFacts& f : facts) {
    std::string name = f.name;
    by_name.emplace(std::move(name), std::move(f));
  }
  absl::MutexLock lock(&mu_);
  by_name_ = std::move(by_name);
  observed_ = observed;
}

void UnmanagedDomains::Put(hv::DomainFacts facts) {
  absl::MutexLock lock(&mu_);
  std::string name = facts.name;
  by_name_[name] = std::move(facts);
}

void UnmanagedDomains::Remove(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  if (it != by_name_.end()) by_name_.erase(it);
}

std::optional<hv::DomainFacts> UnmanagedDomains::Get(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::vector<hv::DomainFacts> UnmanagedDomains::After(absl::string_view after_name) const {
  absl::MutexLock lock(&mu_);
  std::vector<hv::DomainFacts> out;
  auto it = after_name.empty() ? by_name_.begin() : by_name_.upper_bound(after_name);
  for (; it != by_name_.end(); ++it) out.push_back(it->second);
  return out;
}

size_t UnmanagedDomains::size() const {
  absl::MutexLock lock(&mu_);
  return by_name_.size();
}

size_t UnmanagedDomains::guests() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [name, facts] : by_name_) n += facts.domid != 0 ? 1 : 0;
  return n;
}

absl::Time UnmanagedDomains::observed() const {
  absl::MutexLock lock(&mu_);
  return observed_;
}

xenia::v1::Domain UnmanagedDomainProto(const hv::DomainFacts& facts, absl::Time observed,
                                       const ResourceNames& names) {
  xenia::v1::Domain domain;
  domain.set_name(names.Domain(facts.name));
  xenia::v1::DomainSpec& spec = *domain.mutable_spec();
  spec.set_name(facts.name);
  spec.set_uuid(facts.uuid);
  spec.set_type(facts.type);
  spec.set_memory_mib(static_cast<int32_t>(facts.current_memory_kib / 1024));
  spec.set_max_memory_mib(static_cast<int32_t>(facts.max_memory_kib / 1024));
  spec.set_vcpus(facts.online_vcpus);
  spec.set_max_vcpus(facts.max_vcpus);
  xenia::v1::DomainStatus& status = *domain.mutable_status();
  status.set_managed(false);
  status.set_power_state(PowerStateOf(facts));
  if (facts.state == hv::RunState::kShutdown) {
    status.set_last_shutdown_reason(ToApiReason(facts.shutdown_reason));
  }
  ApplyFacts(facts, observed, &status);
  status.set_message(facts.domid == 0 ? "dom0, the control domain"
                                      : "not managed by xeniad (created beside it); "
                                        "`xenia adopt` takes it under management");
  return domain;
}

}  // namespace xenia
