// Every illegal power-state transition is refused with FAILED_PRECONDITION and
// a message naming the domain and its state; unknown domains are NOT_FOUND;
// malformed resource names are INVALID_ARGUMENT. A refused request changes
// nothing: no operation is journalled and the domain keeps its state.
#include <string>
#include <vector>

#include "daemon/proto_time.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {
namespace {

using grpc::StatusCode;
using xenia::v1::Operation;

enum class Verb { kStart, kShutdown, kReboot, kDestroy, kPause, kUnpause, kDelete };

const char* VerbName(Verb v) {
  switch (v) {
    case Verb::kStart:
      return "StartDomain";
    case Verb::kShutdown:
      return "ShutdownDomain";
    case Verb::kReboot:
      return "RebootDomain";
    case Verb::kDestroy:
      return "DestroyDomain";
    case Verb::kPause:
      return "PauseDomain";
    case Verb::kUnpause:
      return "UnpauseDomain";
    case Verb::kDelete:
      return "DeleteDomain";
  }
  return "?";
}

constexpr Verb kAllVerbs[] = {Verb::kStart, Verb::kShutdown, Verb::kReboot, Verb::kDestroy,
                              Verb::kPause, Verb::kUnpause,  Verb::kDelete};

class TransitionsTest : public DaemonFixture {
 protected:
  // Calls `verb` on the resource `name` exactly as given.
  grpc::Status Call(Verb verb, const std::string& name, Operation* op) {
    xenia::v1::DomainService::Stub& stub = daemon_->domains();
    switch (verb) {
      case Verb::kStart: {
        xenia::v1::StartDomainRequest r;
        r.set_name(name);
        return stub.StartDomain(Context().get(), r, op);
      }
      case Verb::kShutdown: {
        xenia::v1::ShutdownDomainRequest r;
        r.set_name(name);
        return stub.ShutdownDomain(Context().get(), r, op);
      }
      case Verb::kReboot: {
        xenia::v1::RebootDomainRequest r;
        r.set_name(name);
        return stub.RebootDomain(Context().get(), r, op);
      }
      case Verb::kDestroy: {
        xenia::v1::DestroyDomainRequest r;
        r.set_name(name);
        return stub.DestroyDomain(Context().get(), r, op);
      }
      case Verb::kPause: {
        xenia::v1::PauseDomainRequest r;
        r.set_name(name);
        return stub.PauseDomain(Context().get(), r, op);
      }
      case Verb::kUnpause: {
        xenia::v1::UnpauseDomainRequest r;
        r.set_name(name);
        return stub.UnpauseDomain(Context().get(), r, op);
      }
      case Verb::kDelete: {
        xenia::v1::DeleteDomainRequest r;
        r.set_name(name);
        return stub.DeleteDomain(Context().get(), r, op);
      }
    }
    return grpc::Status(StatusCode::INTERNAL, "unknown verb");
  }

  // Checks that each (verb, words) pair is refused on `name` with
  // FAILED_PRECONDITION naming the domain, its state and what it must be,
  // and that no operation was recorded and the state did not change.
  void ExpectRefused(const std::string& name, const std::string& state_words,
                     const std::vector<std::pair<Verb, std::string>>& refusals) {
    xenia::v1::Domain before = GetOrDie(name);
    int64_t ops_before = CountRows("operations");
    for (const auto& [verb, must] : refusals) {
      Operation op;
      EXPECT_TRUE(IsError(Call(verb, DomainName(name), &op), StatusCode::FAILED_PRECONDITION,
                          {"\"" + name + "\"", "is " + state_words, must}))
          << VerbName(verb) << " on " << name;
    }
    xenia::v1::Domain after = GetOrDie(name);
    EXPECT_EQ(after.status().power_state(), before.status().power_state());
    EXPECT_EQ(after.status().domid(), before.status().domid());
    EXPECT_EQ(after.etag(), before.etag());
    EXPECT_EQ(CountRows("operations"), ops_before) << "a refused request was journalled";
  }
};

TEST_F(TransitionsTest, ShutOffDomainRefusesEverythingButStartAndDelete) {
  CreateOrDie("off1", 256, /*start=*/false);
  ExpectRefused("off1", "shut off",
                {{Verb::kShutdown, "must be running to be shut down"},
                 {Verb::kReboot, "must be running to be rebooted"},
                 {Verb::kDestroy, "to be destroyed"},
                 {Verb::kPause, "must be running to be paused"},
                 {Verb::kUnpause, "must be paused to be unpaused"}});
}

TEST_F(TransitionsTest, RunningDomainRefusesStartUnpauseAndDelete) {
  CreateOrDie("run1");
  ExpectRefused("run1", "running",
                {{Verb::kStart, "must be shut off to be started"},
                 {Verb::kUnpause, "must be paused to be unpaused"},
                 {Verb::kDelete, "must be shut off to be deleted"}});
}

TEST_F(TransitionsTest, PausedDomainRefusesAllButUnpauseAndDestroy) {
  CreateOrDie("pau1");
  Operation op;
  ASSERT_TRUE(Pause("pau1", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  ExpectRefused("pau1", "paused",
                {{Verb::kStart, "must be shut off to be started"},
                 {Verb::kShutdown, "must be running to be shut down"},
                 {Verb::kReboot, "must be running to be rebooted"},
                 {Verb::kPause, "must be running to be paused"},
                 {Verb::kDelete, "must be shut off to be deleted"}});
  ASSERT_TRUE(Destroy("pau1", &op).ok());
  Operation destroyed = WaitDone(op);
  ASSERT_TRUE(EndedWith(destroyed, Operation::DONE));
  EXPECT_EQ(destroyed.domain().status().power_state(), xenia::v1::SHUTOFF);
}

TEST_F(TransitionsTest, CrashedDomainCanOnlyBeDestroyed) {
  xenia::v1::DomainSpec spec = Spec("crash1");
  spec.set_on_crash(xenia::v1::PRESERVE);
  CreateSpecOrDie(spec);
  xenia::v1::GuestBehavior crash;
  *crash.mutable_crash_after() = ToProto(absl::ZeroDuration());
  ASSERT_TRUE(SetBehavior("crash1", crash).ok());
  ASSERT_TRUE(WaitForState("crash1", xenia::v1::CRASHED));
  ExpectRefused("crash1", "crashed",
                {{Verb::kStart, "must be shut off to be started"},
                 {Verb::kShutdown, "must be running to be shut down"},
                 {Verb::kReboot, "must be running to be rebooted"},
                 {Verb::kPause, "must be running to be paused"},
                 {Verb::kUnpause, "must be paused to be unpaused"},
                 {Verb::kDelete, "must be shut off to be deleted"}});
  Operation op;
  ASSERT_TRUE(Destroy("crash1", &op).ok());
  EXPECT_EQ(WaitDone(op).domain().status().power_state(), xenia::v1::SHUTOFF);
}

// Behind another operation the state the verb will meet is not known at
// admission: it is queued, and fails with the same code when its turn comes.
TEST_F(TransitionsTest, QueuedIllegalVerbFailsWhenItsTurnComes) {
  xenia::v1::Domain d = CreateOrDie("queue1");
  xenia::v1::GuestBehavior ignore;
  ignore.set_ignore_shutdown(true);
  ASSERT_TRUE(SetBehavior("queue1", ignore).ok());
  // The guest ignores it: the shutdown gives up after its timeout and the
  // domain is running again.
  Operation shutdown;
  ASSERT_TRUE(Shutdown("queue1", absl::Seconds(1), false, &shutdown).ok());
  Operation start;
  ASSERT_TRUE(Start("queue1", &start).ok());
  EXPECT_EQ(start.state(), Operation::PENDING);
  EXPECT_TRUE(EndedWith(WaitDone(shutdown), Operation::FAILED, 4));
  EXPECT_TRUE(EndedWith(WaitDone(start), Operation::FAILED, 9,
                        {"\"queue1\"", "is running", "must be shut off to be started"}));
  xenia::v1::Domain after = GetOrDie("queue1");
  EXPECT_EQ(after.status().power_state(), xenia::v1::RUNNING);
  EXPECT_EQ(after.status().domid(), d.status().domid());
}

TEST_F(TransitionsTest, ShutdownTimeoutOutOfRangeIsInvalidArgument) {
  CreateOrDie("t1");
  int64_t ops_before = CountRows("operations");
  Operation op;
  EXPECT_TRUE(IsError(Shutdown("t1", absl::ZeroDuration(), false, &op),
                      StatusCode::INVALID_ARGUMENT, {"timeout", "positive"}));
  EXPECT_TRUE(IsError(Shutdown("t1", absl::Seconds(-5), true, &op), StatusCode::INVALID_ARGUMENT,
                      {"timeout", "-5s"}));
  EXPECT_TRUE(IsError(Shutdown("t1", absl::Hours(2), false, &op), StatusCode::INVALID_ARGUMENT,
                      {"timeout", "at most 1h", "2h"}));
  EXPECT_TRUE(IsError(Reboot("t1", absl::Hours(2), false, &op), StatusCode::INVALID_ARGUMENT,
                      {"timeout", "at most 1h"}));
  EXPECT_EQ(CountRows("operations"), ops_before);
  EXPECT_EQ(GetOrDie("t1").status().power_state(), xenia::v1::RUNNING);
}

TEST_F(TransitionsTest, DeleteWithAStaleEtagIsAborted) {
  xenia::v1::Domain d = CreateOrDie("t2", 256, false);
  Operation op;
  ASSERT_TRUE(Start("t2", &op).ok());
  WaitDone(op);
  ASSERT_TRUE(Destroy("t2", &op).ok());
  WaitDone(op);
  xenia::v1::DeleteDomainRequest req;
  req.set_name(DomainName("t2"));
  req.set_etag(d.etag());  // from before the start and the destroy
  EXPECT_TRUE(IsError(daemon_->domains().DeleteDomain(Context().get(), req, &op),
                      StatusCode::ABORTED, {"\"t2\"", "changed", "etag"}));
  EXPECT_EQ(GetOrDie("t2").status().power_state(), xenia::v1::SHUTOFF);
  req.set_etag(GetOrDie("t2").etag());
  ASSERT_TRUE(daemon_->domains().DeleteDomain(Context().get(), req, &op).ok());
  EXPECT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
}

TEST_F(TransitionsTest, UnknownDomainIsNotFoundForEveryVerb) {
  int64_t ops_before = CountRows("operations");
  for (Verb verb : kAllVerbs) {
    Operation op;
    EXPECT_TRUE(IsError(Call(verb, DomainName("nope"), &op), StatusCode::NOT_FOUND,
                        {"\"nope\"", "not found"}))
        << VerbName(verb);
  }
  xenia::v1::Domain d;
  EXPECT_TRUE(IsError(Get("nope", &d), StatusCode::NOT_FOUND, {"\"nope\"", "not found"}));
  xenia::v1::GuestBehavior behavior;
  behavior.set_ignore_shutdown(true);
  EXPECT_TRUE(IsError(SetBehavior("nope", behavior), StatusCode::NOT_FOUND, {"\"nope\""}));
  EXPECT_EQ(CountRows("operations"), ops_before);
}

TEST_F(TransitionsTest, DeletedDomainIsNotFound) {
  CreateOrDie("gone1", 256, false);
  Operation op;
  ASSERT_TRUE(Delete("gone1", &op).ok());
  ASSERT_TRUE(EndedWith(WaitDone(op), Operation::DONE));
  for (Verb verb : kAllVerbs) {
    EXPECT_TRUE(IsError(Call(verb, DomainName("gone1"), &op), StatusCode::NOT_FOUND,
                        {"\"gone1\"", "not found"}))
        << VerbName(verb);
  }
}

TEST_F(TransitionsTest, AnotherHostIsNotFoundNamingTheHost) {
  CreateOrDie("here1", 256, false);
  for (Verb verb : kAllVerbs) {
    Operation op;
    EXPECT_TRUE(IsError(Call(verb, "hosts/elsewhere/domains/here1", &op), StatusCode::NOT_FOUND,
                        {"name", "\"elsewhere\"", "testhost"}))
        << VerbName(verb);
  }
  // The host's own id works as well as "-".
  xenia::v1::GetDomainRequest req;
  req.set_name("hosts/testhost/domains/here1");
  xenia::v1::Domain d;
  EXPECT_TRUE(daemon_->domains().GetDomain(Context().get(), req, &d).ok());
}

TEST_F(TransitionsTest, MalformedNamesAreInvalidArgumentNamingTheField) {
  CreateOrDie("web1", 256, false);
  const std::vector<std::string> malformed = {"web1",
                                              "hosts/-/domains",
                                              "hosts/-/domains/",
                                              "hosts/-/vms/web1",
                                              "hosts//domains/web1",
                                              "hosts/-/domains/web1/extra",
                                              "domains/web1"};
  int64_t ops_before = CountRows("operations");
  for (const std::string& name : malformed) {
    for (Verb verb : kAllVerbs) {
      Operation op;
      EXPECT_TRUE(IsError(Call(verb, name, &op), StatusCode::INVALID_ARGUMENT,
                          {"name: expected \"hosts/{host}/domains/{id}\"", name}))
          << VerbName(verb) << " " << name;
    }
    xenia::v1::GetDomainRequest req;
    req.set_name(name);
    xenia::v1::Domain d;
    EXPECT_TRUE(IsError(daemon_->domains().GetDomain(Context().get(), req, &d),
                        StatusCode::INVALID_ARGUMENT, {"name:"}))
        << name;
  }
  for (Verb verb : kAllVerbs) {
    Operation op;
    EXPECT_TRUE(IsError(Call(verb, "", &op), StatusCode::INVALID_ARGUMENT, {"name: required"}))
        << VerbName(verb);
  }
  EXPECT_EQ(CountRows("operations"), ops_before);
  EXPECT_EQ(GetOrDie("web1").status().power_state(), xenia::v1::SHUTOFF);
}

// A domain id that cannot be a Xen domain name is malformed, not merely
// absent (AIP-193: INVALID_ARGUMENT for names that could never exist).
TEST_F(TransitionsTest, DomainIdThatCannotBeANameIsInvalidArgument) {
  for (std::string id : {"bad name", "semi;colon", "-dash-first"}) {
    xenia::v1::Domain d;
    EXPECT_TRUE(IsError(Get(id, &d), StatusCode::INVALID_ARGUMENT, {"name", id})) << id;
    Operation op;
    EXPECT_TRUE(IsError(Call(Verb::kStart, DomainName(id), &op), StatusCode::INVALID_ARGUMENT,
                        {"name", id}))
        << id;
  }
}

}  // namespace
}  // namespace xenia::testing
