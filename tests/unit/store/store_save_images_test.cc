// Save images: put, get, load by name, replace, delete, the unique path
// (a conflict fails only its own batch), persistence across a reopen, and
// the migration of a version-1 file that has no save_images table.
#include <vector>

#include "absl/synchronization/blocking_counter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/schema.h"
#include "store/sqlite_connection.h"
#include "store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace xenia::store {
namespace {

using testing::Domain;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RawDb;
using testing::StoreTest;
using testing::WriterBlocker;

using StoreSaveImagesTest = StoreTest;

SaveImageRow Image(const std::string& id, const std::string& domain_uuid) {
  SaveImageRow row;
  row.name = absl::StrCat("hosts/h/saveImages/", id);
  row.domain_uuid = domain_uuid;
  row.path = absl::StrCat(id, ".save");
  row.body = absl::StrCat("body of ", id);
  row.create_time_us = 1000;
  return row;
}

absl::Status PutImages(Store& store, std::initializer_list<SaveImageRow> rows) {
  WriteBatch batch;
  for (const SaveImageRow& row : rows) batch.PutSaveImage(row);
  return store.Write(std::move(batch));
}

std::vector<std::string> ImageNames(Store& store) {
  absl::StatusOr<std::vector<SaveImageRow>> images = store.LoadSaveImages();
  EXPECT_TRUE(images.ok()) << images.status();
  std::vector<std::string> names;
  if (images.ok()) {
    for (const SaveImageRow& row : *images) names.push_back(row.name);
  }
  return names;
}

void ExpectSameImage(const SaveImageRow& actual, const SaveImageRow& expected) {
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.domain_uuid, expected.domain_uuid);
  EXPECT_EQ(actual.path, expected.path);
  EXPECT_EQ(actual.body, expected.body);
  EXPECT_EQ(actual.create_time_us, expected.create_time_us);
}

TEST_F(StoreSaveImagesTest, PutsGetsAndLoadsByName) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(ImageNames(*store), ElementsAre());

  SaveImageRow web = Image("web1-20261124-101500", "u-web");
  web.body = std::string("binary\0body\xff", 12);
  web.create_time_us = 1764000000000000;
  ASSERT_TRUE(
      PutImages(*store, {web, Image("db-1", "u-db"), Image("web1-20261123-090000", "u-web")}).ok());

  EXPECT_THAT(ImageNames(*store),
              ElementsAre("hosts/h/saveImages/db-1", "hosts/h/saveImages/web1-20261123-090000",
                          "hosts/h/saveImages/web1-20261124-101500"));
  absl::StatusOr<std::vector<SaveImageRow>> images = store->LoadSaveImages();
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 3u);
  ExpectSameImage((*images)[2], web);

  absl::StatusOr<std::optional<SaveImageRow>> got = store->GetSaveImage(web.name);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  ExpectSameImage(**got, web);

  got = store->GetSaveImage("hosts/h/saveImages/no-such-image");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TEST_F(StoreSaveImagesTest, ReplacesByName) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutImages(*store, {Image("a", "u1")}).ok());

  SaveImageRow replaced = Image("a", "u2");
  replaced.path = "moved/a.save";
  replaced.body = "new body";
  replaced.create_time_us = 5000;
  ASSERT_TRUE(PutImages(*store, {replaced}).ok());

  absl::StatusOr<std::vector<SaveImageRow>> images = store->LoadSaveImages();
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 1u);
  ExpectSameImage((*images)[0], replaced);
  // The old path is free again.
  SaveImageRow other = Image("b", "u1");
  other.path = "a.save";
  EXPECT_TRUE(PutImages(*store, {other}).ok());
}

TEST_F(StoreSaveImagesTest, Deletes) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutImages(*store, {Image("a", "u1"), Image("b", "u1")}).ok());

  WriteBatch batch;
  batch.DeleteSaveImage("hosts/h/saveImages/a");
  batch.DeleteSaveImage("hosts/h/saveImages/never-existed");
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_THAT(ImageNames(*store), ElementsAre("hosts/h/saveImages/b"));
  absl::StatusOr<std::optional<SaveImageRow>> got = store->GetSaveImage("hosts/h/saveImages/a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());

  // A path freed in a batch can be taken later in the same batch.
  batch = WriteBatch();
  SaveImageRow c = Image("c", "u1");
  c.path = "b.save";
  batch.DeleteSaveImage("hosts/h/saveImages/b");
  batch.PutSaveImage(c);
  ASSERT_TRUE(store->Write(std::move(batch)).ok());
  EXPECT_THAT(ImageNames(*store), ElementsAre("hosts/h/saveImages/c"));
}

TEST_F(StoreSaveImagesTest, EntriesWithoutNameOrPathAreInvalidArguments) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  SaveImageRow no_name = Image("a", "u1");
  no_name.name.clear();
  EXPECT_EQ(PutImages(*store, {no_name}).code(), absl::StatusCode::kInvalidArgument);
  SaveImageRow no_path = Image("a", "u1");
  no_path.path.clear();
  absl::Status status = PutImages(*store, {no_path});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(status.message(), HasSubstr(no_path.name));
  EXPECT_THAT(ImageNames(*store), ElementsAre());
}

// Batches held back until all are queued commit as one group: the one whose
// image takes a path already held fails alone, with ALREADY_EXISTS naming
// the path, and leaves nothing; the others commit.
TEST_F(StoreSaveImagesTest, ATakenPathFailsOnlyItsBatch) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  SaveImageRow holder = Image("holder", "u0");
  holder.path = "taken.save";
  ASSERT_TRUE(PutImages(*store, {holder}).ok());

  constexpr int kBatches = 3;
  constexpr int kConflicting = 1;
  std::vector<absl::Status> results(kBatches, absl::UnknownError("not done"));
  absl::BlockingCounter done(kBatches);
  {
    WriterBlocker blocker(*store);
    for (int i = 0; i < kBatches; ++i) {
      WriteBatch batch;
      batch.PutDomain(Domain(absl::StrCat("u", i), absl::StrCat("web", i)));
      SaveImageRow image = Image(absl::StrCat("image", i), absl::StrCat("u", i));
      if (i == kConflicting) image.path = "taken.save";
      batch.PutSaveImage(image);
      store->Submit(std::move(batch), [&, i](absl::Status status) {
        results[i] = std::move(status);
        done.DecrementCount();
      });
    }
  }  // Releases the writer: the three batches commit as one group.
  done.Wait();

  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_EQ(results[kConflicting].code(), absl::StatusCode::kAlreadyExists)
      << results[kConflicting];
  EXPECT_THAT(results[kConflicting].message(), HasSubstr("\"taken.save\""));
  EXPECT_THAT(results[kConflicting].message(), HasSubstr(holder.name));
  EXPECT_THAT(results[kConflicting].message(), HasSubstr("hosts/h/saveImages/image1"));
  EXPECT_TRUE(results[2].ok()) << results[2];

  EXPECT_THAT(ImageNames(*store),
              ElementsAre("hosts/h/saveImages/holder", "hosts/h/saveImages/image0",
                          "hosts/h/saveImages/image2"));
  absl::StatusOr<std::vector<DomainRow>> domains = store->LoadDomains();
  ASSERT_TRUE(domains.ok()) << domains.status();
  std::vector<std::string> names;
  for (const DomainRow& row : *domains) names.push_back(row.name);
  EXPECT_THAT(names, ElementsAre("web0", "web2"));
  // The holder kept its path.
  absl::StatusOr<std::optional<SaveImageRow>> got = store->GetSaveImage(holder.name);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->path, "taken.save");
}

TEST_F(StoreSaveImagesTest, ReplacingOntoATakenPathIsAlreadyExists) {
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(PutImages(*store, {Image("a", "u1"), Image("b", "u1")}).ok());
  SaveImageRow moved = Image("b", "u1");
  moved.path = "a.save";
  absl::Status status = PutImages(*store, {moved});
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists) << status;
  EXPECT_THAT(status.message(), HasSubstr("\"a.save\""));
  absl::StatusOr<std::optional<SaveImageRow>> got = store->GetSaveImage(moved.name);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->path, "b.save");
}

TEST_F(StoreSaveImagesTest, PersistAcrossAReopen) {
  SaveImageRow image = Image("web1-20261124-101500", "u-web");
  {
    std::unique_ptr<SqliteStore> store = OpenStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(PutImages(*store, {image, Image("other", "u-db")}).ok());
    WriteBatch batch;
    batch.DeleteSaveImage("hosts/h/saveImages/other");
    ASSERT_TRUE(store->Write(std::move(batch)).ok());
  }
  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<SaveImageRow>> images = store->LoadSaveImages();
  ASSERT_TRUE(images.ok()) << images.status();
  ASSERT_EQ(images->size(), 1u);
  ExpectSameImage((*images)[0], image);
}

// A file written by a binary that knew only schema version 1 (made here by
// applying only the first migration) migrates on open: it keeps its domains
// and gains the save_images table and its index.
TEST_F(StoreSaveImagesTest, AVersionOneFileMigratesOnOpen) {
  {
    absl::StatusOr<std::unique_ptr<Connection>> connection =
        Connection::Open(path_, Connection::Role::kWriter, 1000);
    ASSERT_TRUE(connection.ok()) << connection.status();
    absl::StatusOr<MigrationResult> result = Migrate(**connection, StoreMigrations().subspan(0, 1));
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->to_version, 1);
  }
  {
    RawDb raw(path_);
    ASSERT_EQ(raw.Exec("INSERT INTO domains VALUES ('u1', 'web1', x'01', x'02', 10, 20)"), "");
    ASSERT_EQ(raw.QueryString("PRAGMA user_version"), "1");
    ASSERT_EQ(raw.QueryString("SELECT count(*) FROM sqlite_master WHERE name = 'save_images'"),
              "0");
  }

  std::unique_ptr<SqliteStore> store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->schema_version(), 2);
  absl::StatusOr<std::vector<DomainRow>> domains = store->LoadDomains();
  ASSERT_TRUE(domains.ok()) << domains.status();
  ASSERT_EQ(domains->size(), 1u);
  EXPECT_EQ((*domains)[0].uuid, "u1");
  EXPECT_EQ((*domains)[0].name, "web1");
  EXPECT_EQ((*domains)[0].spec, "\x01");
  EXPECT_EQ((*domains)[0].update_time_us, 20);
  EXPECT_THAT(ImageNames(*store), ElementsAre());
  ASSERT_TRUE(PutImages(*store, {Image("web1-1", "u1")}).ok());
  EXPECT_THAT(ImageNames(*store), ElementsAre("hosts/h/saveImages/web1-1"));

  RawDb raw(path_);
  EXPECT_EQ(raw.QueryString("PRAGMA user_version"), "2");
  EXPECT_EQ(raw.QueryString(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'save_images' "
                "AND name = 'save_images_by_domain'"),
            "save_images_by_domain");
}

}  // namespace
}  // namespace xenia::store
