/// The record store (engine/record/store.hpp): pointers, segment files, and how the index's
/// writers and readers keep records and Xapian commits in step.

#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "engine/index.hpp"
#include "engine/record/store.hpp"
#include "engine/schema.hpp"
#include "indexer/build/bulk_build.hpp"
#include "indexer/build/detail/document_builder.hpp"
#include "indexer/build/ingest.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using airm::RecordPointer;
using airm::RecordStoreReader;
using airm::RecordStoreWriter;
using airm::test::TempDir;

namespace {

std::string record_line(const std::string& id, const std::string& text) {
    return nlohmann::json{{"id", id}, {"title", "Title of " + id}, {"text", text}}.dump() + "\n";
}

std::string lines(const std::string& prefix, int n) {
    std::string out;
    for (int i = 0; i < n; ++i)
        out += record_line(prefix + std::to_string(i),
                           "words of record " + prefix + std::to_string(i));
    return out;
}

std::vector<std::string> segment_files(const std::string& folder) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(folder)) {
        const std::string name = e.path().filename().string();
        if (name.rfind("records-", 0) == 0)
            out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// Adds records "<prefix>0".. to the writer's open transaction, as `airm index` does.
void add_uncommitted(airm::IndexWriter& writer, const std::string& prefix, int n) {
    const airm::Analyzer analyzer(writer.metadata().analyzer);
    auto& db = airm::detail::IndexAccess::database(writer);
    auto& records = airm::detail::IndexAccess::records(writer);
    for (int i = 0; i < n; ++i) {
        airm::Record r;
        r.id = prefix + std::to_string(i);
        r.title = "Title of " + r.id;
        r.text = "words of record " + r.id; // and numbers that do not compress away
        for (int k = 0; k < 40; ++k)
            r.text += " " + std::to_string((i * 7919 + k * 104729) % 1000003);
        db.replace_document(airm::schema::id_term(r.id),
                            airm::build_document(r, writer.metadata(), analyzer, records));
    }
}

} // namespace

TEST_CASE("record store: pointers round-trip, malformed ones are refused", "[record_store]") {
    const std::vector<RecordPointer> pointers = {{0, 15, 1},
                                                 {1, 127, 128},
                                                 {9, 16384, 70000},
                                                 {65535, (std::uint64_t{1} << 40) + 5, UINT32_MAX}};
    for (const auto& p : pointers) {
        const std::string value = airm::encode_record_pointer(p);
        INFO(p.segment << " " << p.offset << " " << p.length);
        CHECK(airm::decode_record_pointer(value) == p);
        CHECK_FALSE(airm::decode_record_pointer(value.substr(0, value.size() - 1))); // truncated
        CHECK_FALSE(airm::decode_record_pointer(value + "x")); // trailing bytes
    }
    struct Case {
        std::string value;
        const char* why;
    };
    const std::vector<Case> bad = {
        {"", "empty"},
        {std::string("\x80", 1), "varint never ends"},
        {std::string(11, '\xFF'), "varint longer than 64 bits"},
        {airm::encode_record_pointer({0, 15, 1}).substr(0, 2) +
             std::string("\x80\x80\x80\x80\x10", 5),
         "length over 32 bits"},
    };
    for (const auto& c : bad) {
        INFO(c.why);
        CHECK_FALSE(airm::decode_record_pointer(c.value));
    }
}

TEST_CASE("record store: what is appended and synced is read back; the file names its format",
          "[record_store]") {
    TempDir dir;
    const std::string folder = dir.path().string();
    std::vector<std::string> pointers;
    std::vector<std::string> written;
    {
        RecordStoreWriter w = RecordStoreWriter::create(folder, 3);
        CHECK(w.segment() == 3);
        for (int i = 0; i < 2000; ++i) { // more than the write buffer holds
            written.push_back(std::string(static_cast<std::size_t>(600 + i % 7),
                                          static_cast<char>('a' + i % 26)));
            pointers.push_back(w.append(written.back()));
        }
        CHECK(w.read(*airm::decode_record_pointer(pointers[1999]), "test") ==
              written[1999]); // unsynced
        w.sync();
    }
    CHECK(segment_files(folder) == std::vector<std::string>{"records-3.airm"});
    std::ifstream in(dir.file("records-3.airm"));
    std::string first;
    std::getline(in, first);
    CHECK(first == "airm-records 1");

    const RecordStoreReader reader(folder);
    for (std::size_t i = 0; i < written.size(); i += 97)
        CHECK(reader.read(pointers[i], "test") == written[i]);

    // Appending to the last segment continues after what is there.
    RecordStoreWriter more = RecordStoreWriter::open_last(folder);
    CHECK(more.segment() == 3);
    const std::string p = more.append("later");
    more.sync();
    CHECK(reader.read(p, "test") == "later"); // the reader maps the grown file again
    CHECK(reader.read(pointers[0], "test") == written[0]);
}

TEST_CASE("record store: rollback drops what was not synced", "[record_store]") {
    TempDir dir;
    const std::string folder = dir.path().string();
    RecordStoreWriter w = RecordStoreWriter::create(folder, 0);
    const std::string kept = w.append("kept");
    w.sync();
    const auto size = fs::file_size(dir.file("records-0.airm"));
    (void)w.append(std::string(3u << 20, 'x')); // written to the file part way, not synced
    w.rollback();
    CHECK(fs::file_size(dir.file("records-0.airm")) == size);
    const std::string next = w.append("next");
    w.sync();
    const RecordStoreReader reader(folder);
    CHECK(reader.read(kept, "test") == "kept");
    CHECK(reader.read(next, "test") == "next");
}

TEST_CASE("record store: damaged or foreign files are refused, naming the file and the rebuild",
          "[record_store]") {
    TempDir dir;
    const std::string folder = dir.path().string();
    std::string pointer;
    {
        RecordStoreWriter w = RecordStoreWriter::create(folder, 0);
        pointer = w.append("0123456789");
        w.sync();
    }
    const std::string file = dir.file("records-0.airm");
    SECTION("another format version") {
        dir.write("records-0.airm", "airm-records 2\n0123456789");
        CHECK_THROWS_AS((void)RecordStoreReader(folder).read(pointer, "doc 1"),
                        airm::VersionMismatch);
        CHECK_THROWS_WITH((void)RecordStoreReader(folder).read(pointer, "doc 1"),
                          Catch::Contains("airm-records 2") && Catch::Contains("airm-records 1") &&
                              Catch::Contains("--rebuild --db " + folder));
        CHECK_THROWS_AS(RecordStoreWriter::open_last(folder), airm::VersionMismatch);
        const RecordStoreReader reader(folder); // a refused file is not kept mapped
        CHECK_THROWS_AS((void)reader.read(pointer, "doc 1"), airm::VersionMismatch);
        CHECK_THROWS_AS((void)reader.read(pointer, "doc 1"), airm::VersionMismatch);
    }
    SECTION("not a record file") {
        dir.write("records-0.airm", "something else entirely");
        CHECK_THROWS_AS((void)RecordStoreReader(folder).read(pointer, "doc 1"), airm::IndexError);
        CHECK_THROWS_WITH((void)RecordStoreReader(folder).read(pointer, "doc 1"),
                          Catch::Contains(file) && Catch::Contains("not an airm record file"));
    }
    SECTION("truncated") {
        fs::resize_file(file, fs::file_size(file) - 1);
        CHECK_THROWS_AS((void)RecordStoreReader(folder).read(pointer, "doc 1"), airm::IndexError);
        CHECK_THROWS_WITH((void)RecordStoreReader(folder).read(pointer, "doc 1"),
                          Catch::Contains("doc 1") && Catch::Contains("truncated") &&
                              Catch::Contains("--rebuild"));
    }
    SECTION("missing") {
        fs::remove(file);
        CHECK_THROWS_AS((void)RecordStoreReader(folder).read(pointer, "doc 1"), airm::IndexError);
        CHECK_THROWS_WITH((void)RecordStoreReader(folder).read(pointer, "doc 1"),
                          Catch::Contains("doc 1") && Catch::Contains(file) &&
                              Catch::Contains("--rebuild"));
    }
    SECTION("a malformed pointer") {
        CHECK_THROWS_AS((void)RecordStoreReader(folder).read("", "doc 1"), airm::IndexError);
        CHECK_THROWS_WITH((void)RecordStoreReader(folder).read("", "doc 1"),
                          Catch::Contains("doc 1") && Catch::Contains("pointer") &&
                              Catch::Contains("--rebuild"));
    }
}

TEST_CASE("record store: an index keeps its records in step with its commits",
          "[record_store][index]") {
    TempDir dir;
    const std::string db = dir.file("db");
    const std::string input = dir.write("a.jsonl", lines("a", 10));

    SECTION("bulk build: a record file per worker, then appends go to the last one") {
        REQUIRE(airm::bulk_build_applies(db, {input}, airm::IndexOptions{}));
        (void)airm::bulk_index(db, {input}, airm::IndexOptions{}, airm::BulkOptions{2, 3, 2});
        // Four chunks on two workers: each worker that took a chunk wrote one file.
        const auto files = segment_files(db);
        CHECK((files == std::vector<std::string>{"records-0.airm", "records-1.airm"} ||
               files == std::vector<std::string>{"records-0.airm"} ||
               files == std::vector<std::string>{"records-1.airm"}));
        airm::index_files(
            db, {dir.write("b.jsonl", lines("b", 3) + record_line("a4", "replaced text"))},
            airm::IndexOptions{});
        CHECK(segment_files(db) == files);
        const airm::Index index = airm::Index::open(db);
        CHECK(index.record_count() == 13);
        CHECK(index.find("a4")->text == "replaced text");
        CHECK(index.find("a9")->text == "words of record a9");
        CHECK(index.find("b2")->text == "words of record b2");
        std::size_t seen = 0;
        index.for_each_record([&](const airm::Record&) { ++seen; });
        CHECK(seen == 13);
        // A writer reads the segments it does not append to as well as its own.
        airm::IndexWriter writer = airm::IndexWriter::open(db, false);
        std::size_t written = 0;
        writer.for_each_record([&](const airm::Record& r) {
            ++written;
            CHECK(r.text == (r.id == "a4" ? "replaced text" : "words of record " + r.id));
        });
        CHECK(written == 13);
    }
    SECTION("a cancelled or abandoned writer leaves the record file as committed") {
        airm::index_files(db, {input}, airm::IndexOptions{});
        const auto segments = segment_files(db);
        REQUIRE(segments.size() == 1);
        const std::string file = (fs::path(db) / segments.front()).string();
        const auto committed = fs::file_size(file);
        {
            airm::IndexWriter writer = airm::IndexWriter::open(db, false);
            add_uncommitted(writer, "b", 5000); // more than the write buffer: part is in the file
            CHECK(fs::file_size(file) > committed);
            CHECK(writer.find("b4999")->title == "Title of b4999"); // its own uncommitted record
            writer.cancel();
            CHECK(fs::file_size(file) == committed);
            CHECK_FALSE(writer.find("b1"));
            add_uncommitted(writer, "c", 5000);
            CHECK(fs::file_size(file) > committed);
            // destroyed without commit
        }
        CHECK(fs::file_size(file) == committed);
        const airm::Index index = airm::Index::open(db);
        CHECK(index.record_count() == 10);
        CHECK(index.find("a3")->text == "words of record a3");
    }
    SECTION("a reader that opened before a commit reads the records of both revisions") {
        airm::index_files(db, {input}, airm::IndexOptions{});
        const airm::Index index = airm::Index::open(db);
        CHECK(index.find("a1")->text == "words of record a1"); // maps the segment as it is now
        airm::index_files(db,
                          {dir.write("b.jsonl", lines("b", 200) + record_line("a1", "new text"))},
                          airm::IndexOptions{});
        CHECK(index.find("a1")->text == "words of record a1"); // its revision's record
        CHECK(index.refresh());
        CHECK(index.find("a1")->text == "new text");
        CHECK(index.find("b199")->text == "words of record b199"); // beyond the first map
    }
    SECTION("a reader keeps reading its own files when a rebuild swaps in a new index") {
        REQUIRE(airm::bulk_build_applies(db, {input}, airm::IndexOptions{}));
        (void)airm::bulk_index(db, {input}, airm::IndexOptions{}, airm::BulkOptions{2, 3, 2});
        const airm::Index index = airm::Index::open(db);
        CHECK(index.record_count() == 10); // no record read yet: no record file mapped
        airm::IndexOptions rebuild;
        rebuild.rebuild = true;
        std::string changed;
        for (int i = 0; i < 10; ++i)
            changed += record_line("a" + std::to_string(i), "rebuilt " + std::to_string(i));
        airm::index_files(db, {dir.write("changed.jsonl", changed)}, rebuild);
        // Its Xapian database still reads the index it opened; so do its records, though it maps
        // their files only now.
        CHECK(index.find("a9")->text == "words of record a9");
        CHECK(index.find("a4")->text == "words of record a4");
        CHECK(airm::Index::open(db).find("a9")->text == "rebuilt 9");
    }
}

TEST_CASE("record store: the index tells how much of its record files replaced records hold",
          "[record_store][index]") {
    TempDir dir;
    const std::string db = dir.file("db");
    airm::index_files(db, {dir.write("a.jsonl", lines("a", 20))}, airm::IndexOptions{});
    const airm::Index::RecordSpace fresh = airm::Index::open(db).record_space();
    CHECK(fresh.files == 1);
    REQUIRE(segment_files(db).size() == 1);
    CHECK(fresh.bytes == fs::file_size(fs::path(db) / segment_files(db).front()));
    CHECK(fresh.unused_bytes == 0);

    { // a cancelled change leaves nothing unused behind
        airm::IndexWriter writer = airm::IndexWriter::open(db, false);
        add_uncommitted(writer, "b", 5000); // more than the write buffer: part reaches the file
        writer.cancel();
    }
    CHECK(airm::Index::open(db).record_space().unused_bytes == 0);

    // Replacing a record leaves its old bytes; deleting one leaves its bytes too.
    const std::string a4 = airm::Index::open(db).find("a4")->text;
    airm::index_files(db, {dir.write("b.jsonl", record_line("a4", a4 + " and more"))},
                      airm::IndexOptions{});
    const airm::Index::RecordSpace replaced = airm::Index::open(db).record_space();
    CHECK(replaced.unused_bytes > 0);
    CHECK(replaced.bytes > fresh.bytes);
    (void)airm::delete_records(db, {"a5"});
    const airm::Index::RecordSpace deleted = airm::Index::open(db).record_space();
    CHECK(deleted.bytes == replaced.bytes);
    CHECK(deleted.unused_bytes > replaced.unused_bytes);
}

TEST_CASE("record store: compacting keeps every record and leaves no unused bytes, while a reader "
          "opened before keeps reading",
          "[record_store][index][compact]") {
    TempDir dir;
    const std::string db = dir.file("db");
    const std::string input = dir.write("a.jsonl", lines("a", 40));
    REQUIRE(airm::bulk_build_applies(db, {input}, airm::IndexOptions{}));
    (void)airm::bulk_index(db, {input}, airm::IndexOptions{}, airm::BulkOptions{2, 3, 2});
    airm::index_files(db, {dir.write("b.jsonl", record_line("a4", "replaced text of a4"))},
                      airm::IndexOptions{});
    (void)airm::delete_records(db, {"a5", "a6"});
    const airm::Index::RecordSpace before = airm::Index::open(db).record_space();
    REQUIRE(before.files >= 2);
    REQUIRE(before.unused_bytes > 0);
    std::map<std::string, std::string> texts;
    airm::Index::open(db).for_each_record([&](const airm::Record& r) { texts[r.id] = r.text; });
    const airm::Index reader = airm::Index::open(db);

    airm::IndexWriter::CompactReport report;
    {
        airm::IndexWriter writer = airm::IndexWriter::open(db, false);
        report = writer.compact();
    }
    CHECK(report.records == 38);
    CHECK(report.files_before == before.files);
    CHECK(report.bytes_before == before.bytes);
    CHECK(report.files_after == 1);
    // What was unused is gone, and so are the headers of the files merged into one.
    CHECK(report.bytes_before - report.bytes_after > before.unused_bytes);
    CHECK(segment_files(db).size() == 1);

    const airm::Index after = airm::Index::open(db);
    CHECK(after.record_space().unused_bytes == 0);
    CHECK(after.record_space().bytes == report.bytes_after);
    std::map<std::string, std::string> texts_after;
    after.for_each_record([&](const airm::Record& r) { texts_after[r.id] = r.text; });
    CHECK(texts_after == texts);
    CHECK(texts_after.at("a4") == "replaced text of a4");
    // The reader opened before the compaction holds the old files open.
    CHECK(reader.find("a7")->text == "words of record a7");
    reader.refresh();
    CHECK(reader.find("a8")->text == "words of record a8");

    // Later commands append to the new file.
    airm::index_files(db, {dir.write("c.jsonl", record_line("c1", "a record after compact"))},
                      airm::IndexOptions{});
    CHECK(airm::Index::open(db).find("c1")->text == "a record after compact");
    CHECK(segment_files(db).size() == 1);
    CHECK(airm::Index::open(db).record_count() == 39);
}
