#include "daemon/operations/journal.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

int64_t ToMicros(absl::Time t) { return absl::ToUnixMicros(t); }

store::OperationState ToStoreState(xenia::v1::Operation::State state) {
  switch (state) {
    case xenia::v1::Operation::RUNNING:
      return store::OperationState::kRunning;
    case xenia::v1::Operation::DONE:
      return store::OperationState::kDone;
    case xenia::v1::Operation::FAILED:
      return store::OperationState::kFailed;
    case xenia::v1::Operation::CANCELLED:
      return store::OperationState::kCancelled;
    default:
      return store::OperationState::kPending;
  }
}

}  // namespace

Journal::Journal(store::Store& store, int64_t last_event_sequence)
    : store_(store), last_sequence_(last_event_sequence) {}

void Journal::SetEventSink(EventSink sink) {
  absl::MutexLock lock(&mu_);
  sink_ = std::move(sink);
}

int64_t Journal::last_sequence() const {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

store::DomainRow Journal::ToRow(const DomainEntry& entry) {
  store::DomainRow row;
  row.uuid = entry.uuid();
  row.name = entry.name();
  entry.spec.SerializeToString(&row.spec);
  entry.status.SerializeToString(&row.status);
  row.create_time_us = ToMicros(entry.create_time);
  row.update_time_us = ToMicros(entry.update_time);
  return row;
}

absl::StatusOr<DomainEntry> Journal::FromRow(const store::DomainRow& row) {
  DomainEntry entry;
  if (!entry.spec.ParseFromString(row.spec) || !entry.status.ParseFromString(row.status)) {
    return absl::DataLossError(absl::StrCat("stored definition of domain \"", row.name, "\" (",
                                            row.uuid, ") cannot be parsed"));
  }
  entry.create_time = absl::FromUnixMicros(row.create_time_us);
  entry.update_time = absl::FromUnixMicros(row.update_time_us);
  return entry;
}

store::OperationRow Journal::ToRow(const JournalledOperation& op) {
  const xenia::v1::Operation& o = op.operation;
  store::OperationRow row;
  row.id = o.name().substr(o.name().rfind('/') + 1);
  row.target = o.target();
  row.method = o.method();
  row.request_id = o.request_id();
  row.request = op.request;
  row.state = ToStoreState(o.state());
  o.SerializeToString(&row.body);
  row.create_time_us = ToMicros(FromProto(o.create_time()));
  absl::Time updated = FromProto(o.create_time());
  if (o.has_start_time()) updated = FromProto(o.start_time());
  if (o.has_end_time()) updated = FromProto(o.end_time());
  row.update_time_us = ToMicros(updated);
  return row;
}

void Journal::Sync(std::function<void(absl::Status)> done) { store_.Sync(std::move(done)); }

void Journal::Submit(JournalChange change, absl::Time now, store::Durability durability,
                     std::function<void(absl::Status)> done) {
  store::WriteBatch batch;
  for (const JournalledOperation& op : change.operations) batch.PutOperation(ToRow(op));
  for (const DomainEntry& entry : change.put_domains) batch.PutDomain(ToRow(entry));
  for (std::string& uuid : change.delete_domain_uuids) batch.DeleteDomain(std::move(uuid));
  for (const auto& [image, domain_uuid] : change.put_save_images) {
    store::SaveImageRow row;
    row.name = image.name();
    row.domain_uuid = domain_uuid;
    row.path = image.path();
    row.body = image.SerializeAsString();
    row.create_time_us = ToMicros(FromProto(image.create_time()));
    batch.PutSaveImage(std::move(row));
  }
  for (auto& [key, value] : change.meta) batch.PutMeta(key, value);

  absl::MutexLock lock(&mu_);
  // Sequences are taken under the lock that also queues the batch, so that
  // the store commits them in sequence order.
  std::vector<xenia::v1::Event> events = std::move(change.events);
  for (xenia::v1::Event& event : events) {
    event.set_sequence(++last_sequence_);
    *event.mutable_time() = ToProto(now);
    store::EventRow row;
    row.sequence = event.sequence();
    row.time_us = ToMicros(now);
    row.resource = event.resource();
    event.SerializeToString(&row.body);
    batch.AppendEvent(std::move(row));
  }
  store_.Submit(std::move(batch), durability,
                [this, events = std::move(events), done = std::move(done)](absl::Status status) {
                  if (status.ok() && !events.empty()) {
                    EventSink sink;
                    {
                      absl::MutexLock sink_lock(&mu_);
                      sink = sink_;
                    }
                    if (sink) sink(events);
                  }
                  if (done) done(status);
                });
}

absl::Status Journal::Write(JournalChange change, absl::Time now) {
  absl::Notification notified;
  absl::Status result;
  Submit(std::move(change), now, store::Durability::kSynced, [&](absl::Status status) {
    result = std::move(status);
    notified.Notify();
  });
  notified.WaitForNotification();
  return result;
}

}  // namespace xenia
