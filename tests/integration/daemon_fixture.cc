#include "tests/integration/daemon_fixture.h"

#include <sqlite3.h>

#include <fstream>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "daemon/proto_time.h"

namespace xenia::testing {

using xenia::v1::Operation;

void DaemonFixture::SetUp() {
  ASSERT_FALSE(dir_.path().empty());
  options_.state_dir = state_dir();
  options_.socket = socket();
  StartDaemon();
}

namespace {

void StopCleanly(DaemonProcess& daemon) {
  int status = daemon.Stop();
  EXPECT_EQ(status, 0) << "xeniad did not stop cleanly:\n" << daemon.log();
  std::string log = daemon.log();
  EXPECT_EQ(log.find("runtime error"), std::string::npos) << log;
  EXPECT_EQ(log.find("AddressSanitizer"), std::string::npos) << log;
}

}  // namespace

void DaemonFixture::TearDown() {
  if (daemon_ == nullptr) return;
  StopCleanly(*daemon_);
  // What the daemon said helps explain a failure.
  if (HasFailure()) std::cerr << "xeniad's log:\n" << daemon_->log();
}

void DaemonFixture::RestartDaemon() {
  ASSERT_NE(daemon_, nullptr);
  StopCleanly(*daemon_);
  daemon_.reset();
  StartDaemon();
}

void DaemonFixture::KillAndRestartDaemon() {
  ASSERT_NE(daemon_, nullptr);
  daemon_->Kill();
  std::string log = daemon_->log();
  EXPECT_EQ(log.find("runtime error"), std::string::npos) << log;
  EXPECT_EQ(log.find("AddressSanitizer"), std::string::npos) << log;
  daemon_.reset();
  StartDaemon();
}

void DaemonFixture::StartDaemon() {
  std::string failure;
  daemon_ = DaemonProcess::Start(options_, &failure);
  ASSERT_NE(daemon_, nullptr) << "xeniad did not start:\n" << failure;
}

CliResult DaemonFixture::Xenia(const std::vector<std::string>& args,
                               const std::string& stdin_text) {
  return RunCli(socket(), args, stdin_text);
}

std::string DaemonFixture::WriteFile(const std::string& name, const std::string& text) {
  const std::string path = dir_.path() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

grpc::Status DaemonFixture::Create(const std::string& name, int64_t memory_mib, bool start,
                                   Operation* op, const std::string& request_id) {
  xenia::v1::CreateDomainRequest req;
  req.mutable_spec()->set_name(name);
  req.mutable_spec()->set_memory_mib(memory_mib);
  req.set_start(start);
  req.set_request_id(request_id);
  return daemon_->domains().CreateDomain(Context().get(), req, op);
}

Operation DaemonFixture::WaitDone(const Operation& op, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  Operation current = op;
  // Ask at least once even if `op` says it is done: a reply is a snapshot,
  // while WaitOperation answers once the operation has ended and let go of
  // its domain (so the next request meets an idle domain, and the store
  // holds the end).
  bool asked = false;
  while ((!asked || !current.done()) && absl::Now() < deadline) {
    asked = true;
    xenia::v1::WaitOperationRequest req;
    req.set_name(op.name());
    *req.mutable_timeout() = ToProto(deadline - absl::Now());
    grpc::Status s = daemon_->operations().WaitOperation(Context().get(), req, &current);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
  }
  EXPECT_TRUE(current.done()) << "operation did not finish: " << current.DebugString();
  return current;
}

xenia::v1::Domain DaemonFixture::CreateOrDie(const std::string& name, int64_t memory_mib,
                                             bool start) {
  Operation op;
  grpc::Status s = Create(name, memory_mib, start, &op);
  EXPECT_TRUE(s.ok()) << s.error_message();
  Operation done = WaitDone(op);
  EXPECT_EQ(done.state(), Operation::DONE) << done.DebugString();
  return done.domain();
}

grpc::Status DaemonFixture::Get(const std::string& name, xenia::v1::Domain* out) {
  xenia::v1::GetDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().GetDomain(Context().get(), req, out);
}

xenia::v1::Domain DaemonFixture::GetOrDie(const std::string& name) {
  xenia::v1::Domain d;
  grpc::Status s = Get(name, &d);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return d;
}

bool DaemonFixture::WaitForState(const std::string& name, xenia::v1::PowerState state,
                                 absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  xenia::v1::Domain d;
  while (absl::Now() < deadline) {
    if (Get(name, &d).ok() && d.status().power_state() == state &&
        d.status().current_operation().empty()) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return false;
}

grpc::Status DaemonFixture::Start(const std::string& name, Operation* op) {
  xenia::v1::StartDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().StartDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Destroy(const std::string& name, Operation* op) {
  xenia::v1::DestroyDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().DestroyDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Pause(const std::string& name, Operation* op) {
  xenia::v1::PauseDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().PauseDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Unpause(const std::string& name, Operation* op) {
  xenia::v1::UnpauseDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().UnpauseDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Delete(const std::string& name, Operation* op) {
  xenia::v1::DeleteDomainRequest req;
  req.set_name(DomainName(name));
  return daemon_->domains().DeleteDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Shutdown(const std::string& name, absl::Duration timeout, bool force,
                                     Operation* op) {
  xenia::v1::ShutdownDomainRequest req;
  req.set_name(DomainName(name));
  *req.mutable_timeout() = ToProto(timeout);
  req.set_force(force);
  return daemon_->domains().ShutdownDomain(Context().get(), req, op);
}

grpc::Status DaemonFixture::Reboot(const std::string& name, absl::Duration timeout, bool force,
                                   Operation* op) {
  xenia::v1::RebootDomainRequest req;
  req.set_name(DomainName(name));
  *req.mutable_timeout() = ToProto(timeout);
  req.set_force(force);
  return daemon_->domains().RebootDomain(Context().get(), req, op);
}

xenia::v1::DomainSpec DaemonFixture::Spec(const std::string& name, int64_t memory_mib) {
  xenia::v1::DomainSpec spec;
  spec.set_name(name);
  spec.set_memory_mib(memory_mib);
  return spec;
}

grpc::Status DaemonFixture::CreateSpec(const xenia::v1::DomainSpec& spec, bool start, Operation* op,
                                       const std::string& request_id) {
  xenia::v1::CreateDomainRequest req;
  *req.mutable_spec() = spec;
  req.set_start(start);
  req.set_request_id(request_id);
  return daemon_->domains().CreateDomain(Context().get(), req, op);
}

xenia::v1::Domain DaemonFixture::CreateSpecOrDie(const xenia::v1::DomainSpec& spec, bool start) {
  Operation op;
  grpc::Status s = CreateSpec(spec, start, &op);
  EXPECT_TRUE(s.ok()) << s.error_message();
  if (!s.ok()) return {};
  Operation done = WaitDone(op);
  EXPECT_EQ(done.state(), Operation::DONE) << done.DebugString();
  return done.domain();
}

grpc::Status DaemonFixture::SetBehavior(const std::string& name,
                                        const xenia::v1::GuestBehavior& behavior,
                                        xenia::v1::SetGuestBehaviorResponse* response) {
  xenia::v1::SetGuestBehaviorRequest req;
  req.set_name(DomainName(name));
  *req.mutable_behavior() = behavior;
  xenia::v1::SetGuestBehaviorResponse ignored;
  return daemon_->simulator().SetGuestBehavior(Context().get(), req,
                                               response != nullptr ? response : &ignored);
}

grpc::Status DaemonFixture::GetOperation(const std::string& name, Operation* out) {
  xenia::v1::GetOperationRequest req;
  req.set_name(name);
  return daemon_->operations().GetOperation(Context().get(), req, out);
}

bool DaemonFixture::WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::vector<xenia::v1::Domain> DaemonFixture::ListAllDomains(const std::string& filter,
                                                             int page_size,
                                                             bool include_unmanaged) {
  std::vector<xenia::v1::Domain> out;
  xenia::v1::ListDomainsRequest req;
  req.set_filter(filter);
  req.set_page_size(page_size);
  for (int pages = 0; pages < 10000; ++pages) {
    xenia::v1::ListDomainsResponse resp;
    grpc::Status s = daemon_->domains().ListDomains(Context().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    for (const xenia::v1::Domain& d : resp.domains()) {
      if (include_unmanaged || d.status().managed()) out.push_back(d);
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return out;
}

std::vector<Operation> DaemonFixture::ListAllOperations(const std::string& filter, int page_size) {
  std::vector<Operation> out;
  xenia::v1::ListOperationsRequest req;
  req.set_filter(filter);
  req.set_page_size(page_size);
  for (int pages = 0; pages < 10000; ++pages) {
    xenia::v1::ListOperationsResponse resp;
    grpc::Status s = daemon_->operations().ListOperations(Context().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    if (!s.ok()) break;
    out.insert(out.end(), resp.operations().begin(), resp.operations().end());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  return out;
}

int64_t DaemonFixture::QueryInt(const std::string& sql, int64_t fallback) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path() << ": " << sqlite3_errstr(rc);
    sqlite3_close(db);
    return -1;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  int64_t value = fallback;
  rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    value = -1;
  } else {
    rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    } else if (rc != SQLITE_DONE) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
      value = -1;
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return value;
}

int64_t DaemonFixture::CountRows(const std::string& table) {
  return QueryInt(absl::StrCat("SELECT count(*) FROM ", table));
}

bool DaemonFixture::WaitJournalled(const Operation& op, Operation::State state,
                                   absl::Duration timeout) {
  std::string id = op.name().substr(op.name().rfind('/') + 1);
  std::string sql = absl::StrCat("SELECT state FROM operations WHERE id = '", id, "'");
  return WaitUntil([&] { return QueryInt(sql, 0) == static_cast<int64_t>(state); }, timeout);
}

::testing::AssertionResult IsError(const grpc::Status& status, grpc::StatusCode code,
                                   const std::vector<std::string>& parts) {
  if (status.error_code() != code) {
    return ::testing::AssertionFailure() << "status code " << status.error_code() << " (\""
                                         << status.error_message() << "\"), wanted " << code;
  }
  for (const std::string& part : parts) {
    if (!absl::StrContains(status.error_message(), part)) {
      return ::testing::AssertionFailure()
             << "message \"" << status.error_message() << "\" does not mention \"" << part << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult EndedWith(const Operation& op, Operation::State state, int code,
                                     const std::vector<std::string>& parts) {
  if (!op.done() || op.state() != state) {
    return ::testing::AssertionFailure()
           << "operation is not done in state " << Operation::State_Name(state) << ": "
           << op.DebugString();
  }
  if (op.error().code() != code) {
    return ::testing::AssertionFailure()
           << "error code " << op.error().code() << ", wanted " << code << ": " << op.DebugString();
  }
  for (const std::string& part : parts) {
    if (!absl::StrContains(op.error().message(), part)) {
      return ::testing::AssertionFailure()
             << "error \"" << op.error().message() << "\" does not mention \"" << part << "\"";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace xenia::testing

namespace xenia::testing {

std::map<std::string, xenia::v1::SimulatedDomain> DaemonFixture::SimulatedDomains() {
  xenia::v1::ListSimulatedDomainsResponse sim;
  grpc::Status s = daemon_->simulator().ListSimulatedDomains(
      Context().get(), xenia::v1::ListSimulatedDomainsRequest(), &sim);
  EXPECT_TRUE(s.ok()) << s.error_message();
  std::map<std::string, xenia::v1::SimulatedDomain> by_name;
  for (const xenia::v1::SimulatedDomain& d : sim.domains()) {
    if (d.domid() != 0) by_name[d.name()] = d;
  }
  return by_name;
}

}  // namespace xenia::testing
