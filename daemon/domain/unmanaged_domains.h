// UnmanagedDomains: the domains the hypervisor runs that xeniad does not
// manage — dom0, and guests made beside it (e.g. with `xl create`) — as last
// seen. xeniad lists them and otherwise leaves them alone until one is
// adopted. The facts poller refreshes the set; readers take copies.
//
// Thread-safe: all methods may be called from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/resource_names.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

class UnmanagedDomains {
 public:
  // Replaces the set with `facts` (domains known to be unmanaged), read at
  // `observed`.
  void Replace(std::vector<hv::DomainFacts> facts, absl::Time observed);
  // Adds or replaces one (seen before the next refresh).
  void Put(hv::DomainFacts facts);
  // Drops one (it was just adopted).
  void Remove(absl::string_view name);

  std::optional<hv::DomainFacts> Get(absl::string_view name) const;
  // Those whose name sorts after `after_name`, in name order.
  std::vector<hv::DomainFacts> After(absl::string_view after_name) const;
  size_t size() const;
  // How many, dom0 left out.
  size_t guests() const;
  absl::Time observed() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, hv::DomainFacts, std::less<>> by_name_ ABSL_GUARDED_BY(mu_);
  absl::Time observed_ ABSL_GUARDED_BY(mu_);
};

// The API's Domain resource for an unmanaged domain: what the hypervisor says
// of it, with status.managed false.
xenia::v1::Domain UnmanagedDomainProto(const hv::DomainFacts& facts, absl::Time observed,
                                       const ResourceNames& names);

}  // namespace xenia
