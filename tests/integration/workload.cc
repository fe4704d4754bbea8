#include "tests/integration/workload.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/proto_time.h"
#include "xenia/v1/event.grpc.pb.h"

namespace xenia::testing {

using grpc::StatusCode;
using xenia::v1::Operation;
using xenia::v1::PowerState;

namespace {

// A channel of a client's own that reconnects quickly after a kill and waits
// for the daemon rather than failing while it restarts.
std::shared_ptr<grpc::Channel> ClientChannel(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 10);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 10);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
  return grpc::CreateCustomChannel(absl::StrCat("unix:", socket),
                                   grpc::InsecureChannelCredentials(), args);
}

void PrepareContext(grpc::ClientContext* ctx, absl::Duration timeout = absl::Seconds(15)) {
  ctx->set_wait_for_ready(true);
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

bool Retryable(const grpc::Status& s) {
  return s.error_code() == StatusCode::UNAVAILABLE ||
         s.error_code() == StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace

bool WorkloadGate::Pass() {
  absl::MutexLock lock(&mu_);
  ++idle_;
  mu_.Await(absl::Condition(
      +[](WorkloadGate* g) ABSL_NO_THREAD_SAFETY_ANALYSIS { return !g->paused_ || g->stopped_; },
      this));
  --idle_;
  return !stopped_;
}

void WorkloadGate::Pause() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
}

void WorkloadGate::AwaitIdle(int clients) {
  absl::MutexLock lock(&mu_);
  struct Args {
    WorkloadGate* gate;
    int clients;
  } args{this, clients};
  mu_.Await(absl::Condition(
      +[](Args* a) ABSL_NO_THREAD_SAFETY_ANALYSIS { return a->gate->idle_ == a->clients; }, &args));
}

void WorkloadGate::Resume() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
}

void WorkloadGate::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
}

WorkloadClient::WorkloadClient(int id, int domains, const std::string& socket, uint32_t seed)
    : id_(id),
      domains_count_(domains),
      rng_(seed),
      channel_(ClientChannel(socket)),
      domains_(xenia::v1::DomainService::NewStub(channel_)),
      operations_(xenia::v1::OperationService::NewStub(channel_)) {
  for (int d = 0; d < domains_count_; ++d) expected[absl::StrCat("c", id_, "-d", d)] = kAbsent;
}

void WorkloadClient::Run(WorkloadGate& gate) {
  while (gate.Pass()) Step();
}

WorkloadRequest WorkloadClient::Choose() {
  auto it = expected.begin();
  std::advance(it, std::uniform_int_distribution<int>(0, domains_count_ - 1)(rng_));
  const std::string name = it->first;
  const PowerState state = it->second;
  const int roll = std::uniform_int_distribution<int>(0, 99)(rng_);
  WorkloadRequest r;
  r.request_id = absl::StrCat("c", id_, "-r", next_request_++);
  r.domain = name;
  const std::string rid = r.request_id;
  const std::string resource = DomainName(name);
  auto verb = [&](const std::string& what, PowerState after, auto make) {
    r.what = absl::StrCat(what, " ", name);
    r.after_done = after;
    r.send = make;
  };
  switch (state) {
    case kAbsent:
      verb("create", roll < 60 ? xenia::v1::RUNNING : xenia::v1::SHUTOFF,
           [name, rid, start = roll < 60](auto& stub, auto* ctx, Operation* op) {
             xenia::v1::CreateDomainRequest req;
             req.mutable_spec()->set_name(name);
             req.mutable_spec()->set_memory_mib(64);
             req.set_start(start);
             req.set_request_id(rid);
             return stub.CreateDomain(ctx, req, op);
           });
      break;
    case xenia::v1::SHUTOFF:
      if (roll < 70) {
        verb("start", xenia::v1::RUNNING, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::StartDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          return stub.StartDomain(ctx, req, op);
        });
      } else {
        verb("delete", kAbsent, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::DeleteDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          return stub.DeleteDomain(ctx, req, op);
        });
      }
      break;
    case xenia::v1::RUNNING:
      if (roll < 40) {
        verb("pause", xenia::v1::PAUSED, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::PauseDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          return stub.PauseDomain(ctx, req, op);
        });
      } else if (roll < 60) {
        verb("shutdown", xenia::v1::SHUTOFF, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::ShutdownDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          *req.mutable_timeout() = ToProto(absl::Seconds(10));
          return stub.ShutdownDomain(ctx, req, op);
        });
      } else if (roll < 75) {
        verb("reboot", xenia::v1::RUNNING, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::RebootDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          *req.mutable_timeout() = ToProto(absl::Seconds(10));
          return stub.RebootDomain(ctx, req, op);
        });
      } else {
        verb("destroy", xenia::v1::SHUTOFF, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::DestroyDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          return stub.DestroyDomain(ctx, req, op);
        });
      }
      break;
    default:  // PAUSED
      if (roll < 70) {
        verb("unpause", xenia::v1::RUNNING, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::UnpauseDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          return stub.UnpauseDomain(ctx, req, op);
        });
      } else {
        verb("destroy", xenia::v1::SHUTOFF, [resource, rid](auto& stub, auto* ctx, Operation* op) {
          xenia::v1::DestroyDomainRequest req;
          req.set_name(resource);
          req.set_request_id(rid);
          return stub.DestroyDomain(ctx, req, op);
        });
      }
      break;
  }
  return r;
}

// Sends `r` until the daemon answers (re-sending the same request_id when
// it died meanwhile).
grpc::Status WorkloadClient::Send(const WorkloadRequest& r, Operation* op) {
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    PrepareContext(&ctx);
    grpc::Status s = r.send(*domains_, &ctx, op);
    if (!Retryable(s) || attempt >= 10) return s;
    if (attempt == 0) ++resent;
  }
}

// The operation once it has ended; an unknown state (and a problem noted)
// if the daemon lost it.
Operation WorkloadClient::WaitEnded(const std::string& name) {
  Operation op;
  for (int attempt = 0; attempt < 50; ++attempt) {
    xenia::v1::WaitOperationRequest req;
    req.set_name(name);
    *req.mutable_timeout() = ToProto(absl::Seconds(10));
    grpc::ClientContext ctx;
    PrepareContext(&ctx);
    grpc::Status s = operations_->WaitOperation(&ctx, req, &op);
    if (s.ok() && op.done()) return op;
    if (Retryable(s) && attempt == 0) ++rewaited;
    if (!s.ok() && !Retryable(s)) {
      problems.push_back(absl::StrCat("WaitOperation ", name, ": ", s.error_message()));
      break;
    }
  }
  if (!op.done()) problems.push_back(absl::StrCat("operation ", name, " never ended"));
  return op;
}

// What the daemon says the domain is now (the model follows it after an
// operation that did not do what it asked).
void WorkloadClient::Resync(const std::string& name) {
  for (int attempt = 0; attempt < 10; ++attempt) {
    xenia::v1::GetDomainRequest req;
    req.set_name(DomainName(name));
    xenia::v1::Domain d;
    grpc::ClientContext ctx;
    PrepareContext(&ctx);
    grpc::Status s = domains_->GetDomain(&ctx, req, &d);
    if (s.ok()) {
      expected[name] = d.status().power_state();
      return;
    }
    if (s.error_code() == StatusCode::NOT_FOUND) {
      expected[name] = kAbsent;
      return;
    }
    if (!Retryable(s)) break;
  }
  problems.push_back(absl::StrCat("cannot read domain ", name, " back"));
}

void WorkloadClient::Step() {
  WorkloadRequest r = Choose();
  ++requests;
  Operation op;
  grpc::Status s = Send(r, &op);
  if (!s.ok()) {
    problems.push_back(absl::StrCat(r.what, " (", r.request_id, ") refused: ", s.error_code(), " ",
                                    s.error_message()));
    Resync(r.domain);
    return;
  }
  accepted.push_back(AcceptedRequest{r, op.name()});
  Operation ended = WaitEnded(op.name());
  if (ended.state() == Operation::DONE) {
    expected[r.domain] = r.after_done;
    return;
  }
  if ((ended.state() == Operation::FAILED || ended.state() == Operation::CANCELLED) &&
      ended.error().message().empty()) {
    problems.push_back(
        absl::StrCat(r.what, " ended ", Operation::State_Name(ended.state()), " without a reason"));
  }
  Resync(r.domain);
}

void WorkloadFixture::TearDown() {
  StopClients();
  DaemonFixture::TearDown();
}

void WorkloadFixture::StartClients(int count, int domains) {
  std::mt19937 rng(static_cast<uint32_t>(absl::ToUnixNanos(absl::Now())));
  for (int i = 0; i < count; ++i) {
    clients_.push_back(std::make_unique<WorkloadClient>(i, domains, socket(), rng()));
  }
  for (auto& client : clients_) {
    threads_.emplace_back([this, c = client.get()] { c->Run(gate_); });
  }
}

void WorkloadFixture::StopClients() {
  gate_.Stop();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void WorkloadFixture::Check(bool ok, const std::string& what) {
  ++checks_;
  EXPECT_TRUE(ok) << what;
}

void WorkloadFixture::CheckIntegrity() {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
  std::string result;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    absl::StrAppend(&result, reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), ";");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  Check(result == "ok;", absl::StrCat("integrity_check: ", result));
}

void WorkloadFixture::CheckOperations() {
  for (auto& client : clients_) {
    for (const AcceptedRequest& a : client->accepted) {
      Operation op;
      grpc::Status s = GetOperation(a.operation, &op);
      Check(s.ok(), absl::StrCat("accepted operation ", a.operation, " (", a.request.what,
                                 ") is gone: ", s.error_message()));
      if (!s.ok()) continue;
      Check(op.done() && (op.state() == Operation::DONE || !op.error().message().empty()),
            absl::StrCat(a.operation, " (", a.request.what,
                         ") has not ended well: ", op.ShortDebugString()));
    }
    // Repeating the newest few requests returns the same operations.
    const size_t n = client->accepted.size();
    for (size_t i = n > 3 ? n - 3 : 0; i < n; ++i) {
      const AcceptedRequest& a = client->accepted[i];
      Operation again;
      auto ctx = Context();
      grpc::Status s = a.request.send(daemon_->domains(), ctx.get(), &again);
      Check(s.ok() && again.name() == a.operation,
            absl::StrCat("repeating ", a.request.what, " (", a.request.request_id, ") gave ",
                         s.ok() ? again.name() : s.error_message(), ", not ", a.operation));
    }
  }
}

void WorkloadFixture::CheckAgreement() {
  std::map<std::string, xenia::v1::Domain> stored;
  for (xenia::v1::Domain& d : ListAllDomains()) stored[d.spec().name()] = d;
  xenia::v1::ListSimulatedDomainsResponse sim;
  grpc::Status s = daemon_->simulator().ListSimulatedDomains(
      Context().get(), xenia::v1::ListSimulatedDomainsRequest(), &sim);
  Check(s.ok(), absl::StrCat("ListSimulatedDomains: ", s.error_message()));
  std::map<std::string, xenia::v1::SimulatedDomain> hv;
  for (const xenia::v1::SimulatedDomain& d : sim.domains()) {
    if (d.domid() != 0) hv[d.uuid()] = d;
  }
  size_t expected_running = 0;
  for (auto& client : clients_) {
    for (const auto& [name, state] : client->expected) {
      auto it = stored.find(name);
      if (state == kAbsent) {
        Check(it == stored.end(), absl::StrCat(name, " should not exist but is stored"));
        continue;
      }
      Check(it != stored.end(), absl::StrCat(name, " was lost: the client defined it"));
      if (it == stored.end()) continue;
      const xenia::v1::DomainStatus& st = it->second.status();
      Check(st.power_state() == state,
            absl::StrCat(name, " is ", PowerState_Name(st.power_state()), ", the client made it ",
                         PowerState_Name(state)));
      auto h = hv.find(it->second.spec().uuid());
      if (state == xenia::v1::RUNNING || state == xenia::v1::PAUSED) {
        ++expected_running;
        Check(h != hv.end() && h->second.power_state() == state &&
                  static_cast<int64_t>(h->second.domid()) == st.domid(),
              absl::StrCat(name, ": the store says ", PowerState_Name(state), " domid ", st.domid(),
                           ", the hypervisor ",
                           h == hv.end() ? std::string("has no such domain")
                                         : h->second.ShortDebugString()));
      } else {
        Check(h == hv.end(), absl::StrCat(name, " is ", PowerState_Name(state),
                                          " but the hypervisor still has it"));
      }
    }
  }
  Check(hv.size() == expected_running,
        absl::StrCat("the hypervisor runs ", hv.size(), " guests, the clients expect ",
                     expected_running));
}

void WorkloadFixture::CheckEvents() {
  auto stub = xenia::v1::EventService::NewStub(daemon_->channel());
  xenia::v1::ListEventsRequest req;
  req.set_page_size(1000);
  int64_t previous = 0;
  bool contiguous = true;
  std::string where;
  do {
    xenia::v1::ListEventsResponse page;
    grpc::Status s = stub->ListEvents(Context().get(), req, &page);
    Check(s.ok(), absl::StrCat("ListEvents: ", s.error_message()));
    if (!s.ok()) return;
    for (const xenia::v1::Event& e : page.events()) {
      if (previous != 0 && e.sequence() != previous + 1 && contiguous) {
        contiguous = false;
        where = absl::StrCat(previous, " then ", e.sequence());
      }
      previous = e.sequence();
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  Check(contiguous, absl::StrCat("events are not contiguous: ", where));
}

void WorkloadFixture::ReportProblems() {
  for (auto& client : clients_) {
    for (const std::string& p : client->problems) ADD_FAILURE() << "client: " << p;
    client->problems.clear();
  }
}

}  // namespace xenia::testing
