#include "tests/bench/read_latency.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/bench/stats.h"

namespace xenia::bench {
namespace {

// "1k" for 1000, "10k" for 10000, "1500" otherwise (the peer's labels).
std::string SizeLabel(int size) {
  return size % 1000 == 0 ? absl::StrCat(size / 1000, "k") : absl::StrCat(size);
}

absl::Status MeasureGet(const BenchTarget& target, BenchClient& client,
                        const std::vector<std::string>& ids, const ReadOptions& options,
                        const std::string& label) {
  // Calls go round the defined domains in order, so that every call asks for
  // a different domain than the one before.
  xenia::v1::Domain domain;
  size_t next = 0;
  auto id = [&] { return ids[next++ % ids.size()]; };
  for (int i = 0; i < options.get_warmup; ++i) {
    if (absl::Status s = client.GetDomain(id(), &domain); !s.ok()) return s;
  }
  Samples latency;
  latency.reserve(static_cast<size_t>(options.get_calls));
  CpuSnapshot cpu0 = TakeCpu(target);
  for (int i = 0; i < options.get_calls; ++i) {
    const std::string& name = id();
    Clock::time_point a = Clock::now();
    absl::Status s = client.GetDomain(name, &domain);
    latency.push_back(SecondsBetween(a, Clock::now()));
    if (!s.ok()) return s;
    if (domain.status().power_state() != xenia::v1::SHUTOFF) {
      return absl::InternalError(absl::StrCat(
          "GetDomain(", name, "): ", xenia::v1::PowerState_Name(domain.status().power_state()),
          ", expected SHUTOFF"));
    }
  }
  CpuSnapshot spent = CpuSpent(cpu0, TakeCpu(target));
  std::string prefix = absl::StrCat("get", label);
  EmitLatency(prefix + "_lat", latency);
  EmitInt(prefix + "_calls", options.get_calls, "count");
  EmitCpuPerOp(prefix, spent, options.get_calls);
  return absl::OkStatus();
}

absl::Status MeasureList(const BenchTarget& target, BenchClient& client,
                         const std::vector<std::string>& ids, const ReadOptions& options,
                         const std::string& label) {
  const int want = static_cast<int>(ids.size()) + options.preexisting;
  // Once, untimed: every bench domain is listed exactly once.
  std::vector<std::string> names;
  absl::StatusOr<ListResult> first = client.ListAll("", options.list_page_size, &names);
  if (!first.ok()) return first.status();
  std::multiset<std::string> listed(names.begin(), names.end());
  for (const std::string& id : ids) {
    if (listed.count(id) != 1) {
      return absl::InternalError(absl::StrCat("ListDomains lists domain ", id, " ",
                                              listed.count(id), " times, expected once"));
    }
  }
  for (int i = 0; i < options.list_warmup; ++i) {
    if (absl::Status s = client.ListAll("", options.list_page_size).status(); !s.ok()) return s;
  }
  Samples latency;
  ListResult last;
  CpuSnapshot cpu0 = TakeCpu(target);
  for (int i = 0; i < options.list_calls; ++i) {
    Clock::time_point a = Clock::now();
    absl::StatusOr<ListResult> r = client.ListAll("", options.list_page_size);
    latency.push_back(SecondsBetween(a, Clock::now()));
    if (!r.ok()) return r.status();
    if (r->domains != want) {
      return absl::InternalError(
          absl::StrCat("ListDomains returned ", r->domains, " domains, expected ", want));
    }
    last = *r;
  }
  CpuSnapshot spent = CpuSpent(cpu0, TakeCpu(target));
  std::string prefix = absl::StrCat("list", label);
  EmitLatency(prefix + "_lat", latency);
  EmitInt(prefix + "_returned", last.domains, "domains");
  EmitInt(prefix + "_pages", last.pages, "count");
  EmitInt(prefix + "_calls", options.list_calls, "count");
  EmitCpuPerOp(prefix, spent, options.list_calls);
  return absl::OkStatus();
}

}  // namespace

absl::Status RunReads(const BenchTarget& target, BenchClient& client, ClientPool& pool,
                      const ReadOptions& options) {
  std::vector<std::string> defined;
  for (int size : options.sizes) {
    int from = static_cast<int>(defined.size());
    if (size > from) {
      std::vector<std::string> more;
      for (int i = from; i < size; ++i) more.push_back(absl::StrFormat("%s-r-%06d", target.tag, i));
      Clock::time_point t0 = Clock::now();
      if (absl::Status s = pool.RunSplit(Verb::kDefine, more); !s.ok()) return s;
      double seconds = SecondsBetween(t0, Clock::now());
      defined.insert(defined.end(), more.begin(), more.end());
      Emit(absl::StrFormat("reads_setup_define_%d_to_%d_rate", from, size), (size - from) / seconds,
           "ops/s");
    }
    std::string label = SizeLabel(size);
    if (absl::Status s = MeasureGet(target, client, defined, options, label); !s.ok()) return s;
    if (absl::Status s = MeasureList(target, client, defined, options, label); !s.ok()) return s;
  }
  EmitMemory(target, absl::StrCat("after_list", SizeLabel(options.sizes.back())));
  Clock::time_point t0 = Clock::now();
  if (absl::Status s = pool.RunSplit(Verb::kDelete, defined); !s.ok()) return s;
  Emit(absl::StrFormat("reads_teardown_delete_%d_rate", defined.size()),
       static_cast<double>(defined.size()) / SecondsBetween(t0, Clock::now()), "ops/s");
  EmitMemory(target, "after_teardown");
  return absl::OkStatus();
}

}  // namespace xenia::bench
