#include <utility>

#include "store/store.h"

namespace xenia::store {

void WriteBatch::PutDomain(DomainRow row) {
  Entry& entry = entries_.emplace_back();
  entry.kind = Entry::Kind::kPutDomain;
  entry.domain = std::move(row);
}

void WriteBatch::DeleteDomain(std::string uuid) {
  Entry& entry = entries_.emplace_back();
  entry.kind = Entry::Kind::kDeleteDomain;
  entry.domain.uuid = std::move(uuid);
}

void WriteBatch::PutOperation(OperationRow row) {
  Entry& entry = entries_.emplace_back();
  entry.kind = Entry::Kind::kPutOperation;
  entry.operation = std::move(row);
}

void WriteBatch::AppendEvent(EventRow row) {
  Entry& entry = entries_.emplace_back();
  entry.kind = Entry::Kind::kAppendEvent;
  entry.event = std::move(row);
}

void WriteBatch::PutMeta(std::string key, std::string value) {
  Entry& entry = entries_.emplace_back();
  entry.kind = Entry::Kind::kPutMeta;
  entry.key = std::move(key);
  entry.value = std::move(value);
}

void WriteBatch::PutSaveImage(SaveImageRow row) {
  Entry& entry = entries_.emplace_back();
  entry.kind = Entry::Kind::kPutSaveImage;
  entry.save_image = std::move(row);
}

void WriteBatch::DeleteSaveImage(std::string name) {
  Entry& entry = entries_.emplace_back();
  entry.kind = Entry::Kind::kDeleteSaveImage;
  entry.save_image.name = std::move(name);
}

}  // namespace xenia::store
