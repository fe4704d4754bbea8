#include "daemon/migration/decision_courier.h"

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
    absl::StatusOr<std::string> answer =
        DeliverDecision(decision.destination, peer_token_, decision.operation, decision.commit,
                        give_up - absl::Now(), [this](absl::Duration d) { return Sleep(d); });
    const std::string what = decision.commit ? "run it there" : "discard it there";
    if (answer.ok()) {
      logger_.Info("delivered the decision on an interrupted migration",
                   {{"operation", decision.operation},
                    {"destination", decision.destination},
                    {"decision", what},
                    {"runs_there", answer->empty() ? std::string("no") : *answer}});
    } else {
      logger_.Error("could not deliver the decision on an interrupted migration",
                    {{"operation", decision.operation},
                     {"destination", decision.destination},
                     {"decision", what},
                     {"error", answer.status()}});
    }
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
  }
}

}  // namespace xenia
