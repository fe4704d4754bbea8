// OperationEngine::StepContext: what a task's admission or step may change.
#include "absl/strings/str_cat.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/operations/operation_engine_internal.h"

namespace xenia {

OperationEngine::StepContext::StepContext(OperationEngine& engine, Op& op,
                                          std::optional<hv::DomainEvent> wake_event,
                                          bool first_step)
    : engine_(engine), op_(op), wake_event_(std::move(wake_event)), first_step_(first_step) {}

std::optional<DomainEntry> OperationEngine::StepContext::domain() const {
  return engine_.registry_.GetByUuid(op_.domain_uuid);
}

void OperationEngine::StepContext::PutLatest(const DomainEntry& entry) {
  for (DomainEntry& put : change_.put_domains) {
    if (put.uuid() == entry.uuid()) {
      put = entry;
      return;
    }
  }
  change_.put_domains.push_back(entry);
}

absl::Status OperationEngine::StepContext::InsertDomain(DomainEntry entry) {
  DomainEntry copy = entry;
  if (absl::Status s = engine_.registry_.Insert(std::move(entry)); !s.ok()) return s;
  PutLatest(copy);
  xenia::v1::Event event;
  event.set_type(xenia::v1::Event::DOMAIN_DEFINED);
  event.set_resource(engine_.names_.Domain(copy.name()));
  event.set_new_power_state(copy.status.power_state());
  event.set_message(absl::StrCat("domain ", copy.name(), " defined"));
  AddEvent(std::move(event));
  std::string uuid = copy.uuid();
  DomainRegistry* registry = &engine_.registry_;
  undo_.push_back([registry, uuid] { registry->Remove(uuid); });
  return absl::OkStatus();
}

absl::StatusOr<DomainEntry> OperationEngine::StepContext::UpdateDomain(
    const std::function<void(DomainEntry&)>& mutate) {
  absl::StatusOr<DomainRegistry::Change> change =
      engine_.registry_.Update(op_.domain_uuid, Now(), mutate);
  if (!change.ok()) return change.status();
  PutLatest(change->after);
  xenia::v1::PowerState before = change->before.status.power_state();
  xenia::v1::PowerState after = change->after.status.power_state();
  if (before != after) {
    xenia::v1::Event event;
    event.set_type(xenia::v1::Event::DOMAIN_STATE_CHANGED);
    event.set_resource(engine_.names_.Domain(change->after.name()));
    event.set_old_power_state(before);
    event.set_new_power_state(after);
    event.set_message(absl::StrCat("domain ", change->after.name(), " is ", PowerStateName(after),
                                   " (was ", PowerStateName(before), ")"));
    AddEvent(std::move(event));
  }
  DomainEntry previous = std::move(change->before);
  DomainRegistry* registry = &engine_.registry_;
  absl::Time now = Now();
  undo_.push_back([registry, previous, now] {
    (void)registry->Update(previous.uuid(), now, [&previous](DomainEntry& e) { e = previous; });
  });
  return std::move(change->after);
}

void OperationEngine::StepContext::RemoveDomain() {
  std::optional<DomainEntry> entry = domain();
  if (!entry.has_value()) return;
  engine_.registry_.Remove(op_.domain_uuid);
  std::erase_if(change_.put_domains,
                [this](const DomainEntry& e) { return e.uuid() == op_.domain_uuid; });
  change_.delete_domain_uuids.push_back(op_.domain_uuid);
  xenia::v1::Event event;
  event.set_type(xenia::v1::Event::DOMAIN_DELETED);
  event.set_resource(engine_.names_.Domain(entry->name()));
  event.set_old_power_state(entry->status.power_state());
  event.set_message(absl::StrCat("domain ", entry->name(), " deleted"));
  AddEvent(std::move(event));
  DomainRegistry* registry = &engine_.registry_;
  undo_.push_back([registry, entry] { (void)registry->Insert(*entry); });
}

void OperationEngine::StepContext::PutSaveImage(const xenia::v1::SaveImage& image) {
  change_.put_save_images.emplace_back(image, op_.domain_uuid);
  result_image_ = image;
}

absl::StatusOr<std::optional<xenia::v1::SaveImage>> OperationEngine::StepContext::GetSaveImage(
    const std::string& name) {
  absl::StatusOr<std::optional<store::SaveImageRow>> row = engine_.store_.GetSaveImage(name);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return std::optional<xenia::v1::SaveImage>();
  xenia::v1::SaveImage image;
  if (!image.ParseFromString((*row)->body)) {
    return absl::DataLossError(
        absl::StrCat("the store's record of save image ", name, " does not parse"));
  }
  return std::optional<xenia::v1::SaveImage>(std::move(image));
}

void OperationEngine::StepContext::AddEvent(xenia::v1::Event event) {
  if (event.operation().empty()) event.set_operation(op_.record.operation.name());
  change_.events.push_back(std::move(event));
}

void OperationEngine::StepContext::SetProgress(int percent, absl::string_view message) {
  engine_.ReportProgress(&op_, percent, message);
}

void OperationEngine::StepContext::SetMigrationProgress(
    const xenia::v1::MigrationProgress& progress) {
  engine_.ReportMigrationProgress(&op_, progress);
}

absl::Status OperationEngine::StepContext::RecordDurably() {
  JournalChange change = TakeChange();
  change_ = JournalChange();
  absl::Status status = engine_.RecordOperationNow(&op_, std::move(change));
  if (status.ok()) undo_.clear();
  return status;
}

void OperationEngine::StepContext::Undo() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) (*it)();
  undo_.clear();
}

}  // namespace xenia
