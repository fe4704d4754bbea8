#include "daemon/migration/decision_courier.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/thread_name.h"
#include "daemon/migration/destination_link.h"

namespace xenia {

DecisionCourier::DecisionCourier(std::string peer_token,
                                 std::vector<RecoveryReport::MigrationDecision> decisions,
                                 absl::Duration patience, Logger& logger)
    : peer_token_(std::move(peer_token)),
      decisions_(std::move(decisions)),
      patience_(patience),
      logger_(logger) {
  thread_ = std::thread([this] { Run(); });
}

DecisionCourier::~DecisionCourier() { Stop(); }

void DecisionCourier::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

bool DecisionCourier::Sleep(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), d);
  return !stopping_;
}

void DecisionCourier::Run() {
  SetThreadName("xeniad-courier");
  const absl::Time give_up = absl::Now() + patience_;
  for (const RecoveryReport::MigrationDecision& decision : decisions_) {
    DestinationOptions options;
    options.address = decision.destination;
    options.peer_token = peer_token_;
    options.resolve_timeout = absl::Seconds(5);
    absl::Duration backoff = absl::Milliseconds(200);
    while (true) {
      absl::StatusOr<xenia::v1::MigrationReply> answer =
          DestinationLink::Resolve(options, decision.operation, decision.commit);
      if (answer.ok() || answer.status().code() == absl::StatusCode::kNotFound) {
        logger_.Info(
            "delivered the decision on an interrupted migration",
            {{"operation", decision.operation},
             {"destination", decision.destination},
             {"decision", decision.commit ? "run it there" : "discard it there"},
             {"answer", answer.ok() ? xenia::v1::MigrationReply::Phase_Name(answer->phase())
                                    : std::string("nothing was waiting")}});
        break;
      }
      if (absl::Now() + backoff > give_up) {
        logger_.Error("could not deliver the decision on an interrupted migration",
                      {{"operation", decision.operation},
                       {"destination", decision.destination},
                       {"decision", decision.commit ? "run it there" : "discard it there"},
                       {"error", answer.status()}});
        break;
      }
      if (!Sleep(backoff)) return;
      backoff = std::min(backoff * 2, absl::Seconds(10));
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
  }
}

}  // namespace xenia
