#include "indexer/build/bulk_build.hpp"

#include "engine/codes.hpp"
#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "engine/index.hpp"
#include "engine/schema.hpp"
#include "indexer/build/detail/document_builder.hpp"
#include "indexer/load/record_reader.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace airm {
namespace {

// Measured on the 100k benchmark corpus (2 cores): Xapian's in-memory inverter walks std::maps
// whose depth grows with the records buffered, so small flushes (200) cost about half as much per
// record as Xapian's default (10,000); chunks of 10,000 keep the partial databases, and the
// postlist chunks the compaction copies, large.
constexpr std::size_t kDefaultChunkRecords = 10000;
constexpr std::size_t kDefaultFlushRecords = 200;
// Larger blocks for the partial databases mean fewer writes per flush (system time -30%); the
// compaction writes the index itself with Xapian's default block size.
constexpr int kPartialBlockSize = 32768;
constexpr std::string_view kTempInfix = ".airm-bulk-";

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : sep) + i;
    }
    return out;
}

std::size_t env_count(const char* name, std::size_t fallback) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return fallback;
    }
    char* end = nullptr;
    const unsigned long long n = std::strtoull(value, &end, 10);
    return (*end == '\0' && n > 0 && n <= 10'000'000ULL) ? static_cast<std::size_t>(n) : fallback;
}

/// The target folder without a trailing separator, so that siblings can be named after it.
fs::path target_path(const std::string& db) {
    fs::path p = fs::path(db).lexically_normal();
    if (p.filename().empty() && p.has_parent_path()) {
        p = p.parent_path();
    }
    return p;
}

fs::path parent_folder(const fs::path& target) {
    return target.has_parent_path() ? target.parent_path() : fs::path(".");
}

/// Removes temporary folders left beside `target` by bulk builds whose process no longer runs
/// (killed, or the machine went down).
void remove_stale_temp_folders(const fs::path& target) {
    const std::string prefix = target.filename().string() + std::string(kTempInfix);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent_folder(target), ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) {
            continue;
        }
        const std::string pid_text = name.substr(prefix.size());
        if (!std::all_of(pid_text.begin(), pid_text.end(),
                         [](unsigned char c) { return std::isdigit(c); }) ||
            pid_text.size() > 9) {
            continue;
        }
        const auto pid = static_cast<pid_t>(std::stol(pid_text));
        if (pid != getpid() && kill(pid, 0) == -1 && errno == ESRCH) {
            fs::remove_all(entry.path(), ec);
        }
    }
}

/// Removes a folder and everything in it when it goes out of scope.
class FolderGuard {
  public:
    explicit FolderGuard(fs::path path) : path_(std::move(path)) {}
    FolderGuard(const FolderGuard&) = delete;
    FolderGuard& operator=(const FolderGuard&) = delete;
    ~FolderGuard() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }

  private:
    fs::path path_;
};

/// A set of 64-bit hashes of record ids (open addressing, 8 bytes a slot). A hit only says "maybe
/// seen": the caller confirms it by reading the inputs again, so that ids are compared exactly
/// while a million ids take 16 MB rather than a set of strings' 60.
class IdHashSet {
  public:
    /// Adds `hash`; false when it was already present.
    bool insert(std::uint64_t hash) {
        hash = hash == 0 ? 1 : hash;
        if ((size_ + 1) * 2 > slots_.size()) {
            grow();
        }
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = mix(hash) & mask;; i = (i + 1) & mask) {
            if (slots_[i] == 0) {
                slots_[i] = hash;
                ++size_;
                return true;
            }
            if (slots_[i] == hash) {
                return false;
            }
        }
    }

  private:
    static std::size_t mix(std::uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdULL;
        h ^= h >> 33;
        return static_cast<std::size_t>(h);
    }
    void grow() {
        std::vector<std::uint64_t> old = std::move(slots_);
        slots_.assign(old.empty() ? 1U << 16 : old.size() * 2, 0);
        size_ = 0;
        for (std::uint64_t h : old) {
            if (h != 0) {
                insert(h);
            }
        }
    }
    std::vector<std::uint64_t> slots_;
    std::size_t size_ = 0;
};

/// Where record `id` first occurs among the first `limit` records of the inputs, if it does.
std::optional<std::string> first_origin(const std::vector<std::string>& inputs,
                                        const LoadOptions& load, const std::string& id,
                                        std::uint64_t limit) {
    std::uint64_t seen = 0;
    for (const auto& input : inputs) {
        auto reader = open_records(input, load);
        LoadedRecord loaded;
        while (seen < limit && reader->next(loaded)) {
            ++seen;
            if (loaded.record.id == id) {
                return loaded.origin;
            }
        }
    }
    return std::nullopt;
}

/// A run of consecutive records that becomes one partial database.
struct Chunk {
    std::size_t index = 0;
    std::vector<Record> records;
    std::vector<std::string> origins;
    std::shared_ptr<const IndexMetadata> layout; ///< facets and slots only
};

/// Worker threads that turn chunks into partial databases "part-N" in a folder. The queue holds at
/// most one chunk per worker, so the reader waits rather than running ahead of them.
class PartialBuilders {
  public:
    PartialBuilders(unsigned workers, std::size_t flush_records, fs::path folder,
                    const AnalyzerConfig& analyzer)
        : folder_(std::move(folder)), capacity_(workers), flush_(flush_records) {
        for (unsigned i = 0; i < workers; ++i) {
            threads_.emplace_back([this, analyzer, i] { run(analyzer, i); });
        }
    }
    PartialBuilders(const PartialBuilders&) = delete;
    PartialBuilders& operator=(const PartialBuilders&) = delete;
    ~PartialBuilders() { stop(); }

    /// Queues a chunk, waiting while the queue is full; rethrows the error of a failed worker.
    void submit(Chunk chunk) {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [&] { return queue_.size() < capacity_ || error_; });
        if (error_) {
            std::rethrow_exception(error_);
        }
        paths_.resize(std::max(paths_.size(), chunk.index + 1));
        queue_.push_back(std::move(chunk));
        work_.notify_one();
    }

    /// The record files the workers wrote (complete and synced once finish() returned).
    [[nodiscard]] std::vector<std::string> record_files() const { return record_files_; }

    /// Waits until every chunk is written; returns the partial databases in chunk order.
    std::vector<std::string> finish() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        work_.notify_all();
        join();
        if (error_) {
            std::rethrow_exception(error_);
        }
        return paths_;
    }

    /// Drops the queued chunks and stops the workers part way through their current one.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            aborted_ = true;
            queue_.clear();
        }
        work_.notify_all();
        space_.notify_all();
        join();
    }

  private:
    void join() {
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
    }

    /// Worker `worker` appends the records of all its chunks to one record file of its own,
    /// "records-<worker>.airm" in the folder, which the merge moves into the index as it is.
    void run(const AnalyzerConfig& config, unsigned worker) {
        try {
            const Analyzer analyzer(config);
            std::optional<RecordStoreWriter> records;
            while (true) {
                Chunk chunk;
                {
                    std::unique_lock lock(mutex_);
                    work_.wait(lock, [&] { return !queue_.empty() || closed_; });
                    if (queue_.empty()) {
                        break;
                    }
                    chunk = std::move(queue_.front());
                    queue_.pop_front();
                }
                space_.notify_one();
                if (!records && !chunk.layout->servable()) {
                    records.emplace(RecordStoreWriter::create(folder_.string(), worker));
                    std::lock_guard lock(mutex_);
                    record_files_.push_back(records->path());
                }
                std::string path = build(chunk, analyzer, records ? &*records : nullptr);
                std::lock_guard lock(mutex_);
                paths_[chunk.index] = std::move(path);
            }
            if (records && !aborted_) {
                records->sync();
            }
        } catch (...) {
            std::lock_guard lock(mutex_);
            if (!error_) {
                error_ = std::current_exception();
            }
            closed_ = true;
            aborted_ = true;
            queue_.clear();
            work_.notify_all();
            space_.notify_all();
        }
    }

    std::string build(const Chunk& chunk, const Analyzer& analyzer, RecordStoreWriter* records) {
        const std::string path = (folder_ / ("part-" + std::to_string(chunk.index))).string();
        try {
            // Partial databases are scratch, thrown away on any failure: no fsync, and blocks
            // updated in place rather than copied on write (7% less CPU); the compaction writes the
            // index.
            Xapian::WritableDatabase db(
                path, Xapian::DB_CREATE | Xapian::DB_NO_SYNC | Xapian::DB_DANGEROUS,
                kPartialBlockSize);
            std::size_t pending = 0;
            for (const Record& record : chunk.records) {
                if (aborted_) {
                    return path;
                }
                db.add_document(build_document(record, *chunk.layout, analyzer, records));
                if (++pending == flush_) {
                    db.commit();
                    pending = 0;
                }
            }
            db.commit();
            db.close();
        } catch (const Xapian::Error& e) {
            detail::rethrow_xapian(e, path);
        }
        return path;
    }

    fs::path folder_;
    std::size_t capacity_;
    std::size_t flush_;
    std::vector<std::thread> threads_;
    std::mutex mutex_;
    std::condition_variable work_;
    std::condition_variable space_;
    std::deque<Chunk> queue_;
    std::vector<std::string> paths_;
    std::vector<std::string> record_files_;
    std::exception_ptr error_;
    bool closed_ = false;
    std::atomic<bool> aborted_{false};
};

/// What the values of one facet have shown so far, which decides whether it is hierarchical: it is
/// when a taxonomy was given for it, or when every value begins with a code and one code is dotted.
struct FacetEvidence {
    bool from_taxonomy = false;
    bool all_coded = true;
    bool dotted = false;
    std::optional<bool> assumed; ///< the kind an earlier pass learned

    [[nodiscard]] bool evident() const { return from_taxonomy || (all_coded && dotted); }
    /// The kind documents are built with now.
    [[nodiscard]] bool current() const {
        if (from_taxonomy) {
            return true;
        }
        return assumed ? *assumed : evident();
    }
};

/// What a pass learned that invalidates partial databases already written: the facets seen and
/// their kinds. The next pass starts from it, so that documents are built right from the first.
struct Learned {
    std::set<std::string> names;
    std::map<std::string, bool> kinds;
};

/// Thrown inside a pass to start again with more knowledge (rare: a facet that first appears after
/// records were written and shifts the value slots, or whose kind changes part way).
struct Restart {
    Learned learned;
};

/// The facets and slots of the index as the transactional path assigns them: facets with a given
/// taxonomy first, in the order given, then the others by name.
IndexMetadata layout_of(const IndexOptions& options,
                        const std::map<std::string, FacetEvidence>& facets, bool final) {
    IndexMetadata meta = IndexMetadata::fresh(options.analyzer);
    meta.shard = options.shard;
    for (const auto& taxonomy : options.taxonomies) {
        meta.ensure_facet(taxonomy.facet(), true).hierarchical = true;
    }
    for (const auto& [name, evidence] : facets) {
        if (!meta.facet(name)) {
            meta.ensure_facet(name, final ? evidence.evident() : evidence.current());
        }
    }
    return meta;
}

struct PassResult {
    std::uint64_t read = 0;
    std::uint64_t kept = 0; ///< records of this shard (all read when not a shard)
    IndexMetadata metadata;
    std::vector<std::string> partials;
    std::vector<std::string> record_files; ///< one per worker that built a chunk
};

/// One streaming pass over the inputs: reads, checks and dispatches chunks to the workers.
class BulkPass {
  public:
    BulkPass(const std::vector<std::string>& inputs, const IndexOptions& options,
             const Learned& learned, const BulkOptions& bulk, const fs::path& folder)
        : inputs_(inputs), options_(options), chunk_records_(bulk.chunk_records),
          builders_(bulk.workers, bulk.flush_records, folder, options.analyzer) {
        for (const auto& taxonomy : options.taxonomies) {
            facets_[taxonomy.facet()].from_taxonomy = true;
            taxonomies_[taxonomy.facet()] = taxonomy;
        }
        for (const auto& name : learned.names) {
            facets_[name];
        }
        for (const auto& [name, kind] : learned.kinds) {
            facets_[name].assumed = kind;
        }
    }

    PassResult run() {
        for (const auto& input : inputs_) {
            auto reader = open_records(input, options_.load);
            LoadedRecord loaded;
            while (reader->next(loaded)) {
                accept(std::move(loaded));
            }
        }
        dispatch();
        if (deferred_) {
            throw *deferred_;
        }
        PassResult result;
        result.metadata = layout_of(options_, facets_, true);
        check_committed(result.metadata);
        result.partials = builders_.finish();
        result.record_files = builders_.record_files();
        for (auto& [name, taxonomy] : taxonomies_) {
            result.metadata.taxonomies[name] = std::move(taxonomy);
        }
        result.read = read_;
        result.kept = kept_;
        return result;
    }

  private:
    void accept(LoadedRecord&& loaded) {
        const Record& record = loaded.record;
        if (record.has_no_text()) {
            throw InvalidInput(loaded.origin + ": record '" + record.id +
                               "' has no text at all (title, text and reasoning are empty); give "
                               "it a title or a text");
        }
        if (!ids_.insert(std::hash<std::string>{}(record.id))) {
            if (auto first = first_origin(inputs_, options_.load, record.id, read_)) {
                throw InvalidInput(loaded.origin + ": id '" + record.id +
                                   "' appears twice in this batch (first at " + *first +
                                   "); ids must be unique, so fix or remove one of them");
            }
        }
        ++read_;
        for (const auto& [name, values] : record.facets) {
            observe(name, values);
        }
        // Facets are observed in every record, so every shard of the same inputs gets the same
        // facets and slots; only this shard's records are built.
        if (const auto& shard = options_.shard;
            shard && shard_of(record.id, shard->count) != shard->index) {
            return;
        }
        ++kept_;
        chunk_.records.push_back(std::move(loaded.record));
        chunk_.origins.push_back(std::move(loaded.origin));
        if (chunk_.records.size() >= chunk_records_) {
            dispatch();
        }
        if (options_.progress && read_ % 10000 == 0) {
            options_.progress(read_, 0);
        }
    }

    void observe(const std::string& name, const std::vector<std::string>& values) {
        auto [it, inserted] = facets_.try_emplace(name);
        FacetEvidence& evidence = it->second;
        layout_dirty_ = layout_dirty_ || inserted;
        if (evidence.from_taxonomy || !evidence.all_coded) {
            return;
        }
        const bool before = evidence.current();
        for (const auto& value : values) {
            auto coded = parse_coded_value(value);
            if (!coded) {
                evidence.all_coded = false;
                break;
            }
            evidence.dotted = evidence.dotted || coded->code.find('.') != std::string::npos;
        }
        if (evidence.assumed && *evidence.assumed && !evidence.all_coded) {
            throw Restart{
                learned()}; // assumed hierarchical, but a value without a code proves it flat
        }
        layout_dirty_ = layout_dirty_ || evidence.current() != before;
    }

    /// Normalises the facets of the chunk and hands it to the workers. A facet error is kept and
    /// thrown at the end of the input, after the checks of reading (as the transactional path
    /// reports them); nothing more is built after it.
    void dispatch() {
        if (chunk_.records.empty()) {
            return;
        }
        if (deferred_) {
            chunk_.records.clear();
            chunk_.origins.clear();
            return;
        }
        if (layout_dirty_ || !layout_) {
            layout_ = std::make_shared<const IndexMetadata>(layout_of(options_, facets_, false));
            layout_dirty_ = false;
            check_committed(*layout_);
        }
        try {
            for (std::size_t i = 0; i < chunk_.records.size(); ++i) {
                Record& record = chunk_.records[i];
                normalize_facets(record, chunk_.origins[i], *layout_, taxonomies_,
                                 options_.allow_new_codes);
                for (const auto& [name, values] : record.facets) {
                    if (!values.empty()) {
                        committed_.try_emplace(name, *layout_->facet(name));
                    }
                }
            }
        } catch (const InvalidInput& e) {
            deferred_ = e;
            chunk_.records.clear();
            chunk_.origins.clear();
            return;
        }
        chunk_.layout = layout_;
        chunk_.origins.clear();
        const std::size_t next = chunk_.index + 1;
        builders_.submit(std::move(chunk_));
        chunk_ = Chunk{};
        chunk_.index = next;
    }

    /// Restarts when a layout differs from one that documents were already built with.
    void check_committed(const IndexMetadata& layout) const {
        for (const auto& [name, used] : committed_) {
            const FacetInfo* now = layout.facet(name);
            if (now == nullptr || now->slot != used.slot ||
                now->hierarchical != used.hierarchical) {
                throw Restart{learned()};
            }
        }
    }

    [[nodiscard]] Learned learned() const {
        Learned out;
        for (const auto& [name, evidence] : facets_) {
            out.names.insert(name);
            if (evidence.from_taxonomy) {
                continue;
            }
            if (!evidence.all_coded) {
                out.kinds[name] = false;
            } else if (evidence.dotted) {
                out.kinds[name] = true;
            } else if (evidence.assumed) {
                out.kinds[name] = *evidence.assumed;
            }
        }
        return out;
    }

    const std::vector<std::string>& inputs_;
    const IndexOptions& options_;
    std::size_t chunk_records_;
    std::map<std::string, FacetEvidence> facets_;
    std::map<std::string, Taxonomy> taxonomies_;
    std::map<std::string, FacetInfo> committed_; ///< facets with values in dispatched chunks
    std::shared_ptr<const IndexMetadata> layout_;
    bool layout_dirty_ = true;
    IdHashSet ids_;
    std::uint64_t read_ = 0;
    std::uint64_t kept_ = 0;
    std::optional<InvalidInput> deferred_;
    Chunk chunk_;
    PartialBuilders builders_; // last: stopped before the state above goes away
};

/// Merges the partial databases into `out` and stores the metadata there; the workers' record files
/// move into `out` as they are (the documents' pointers name them).
void merge(const PassResult& pass, const std::string& out) {
    const std::vector<std::string>& partials = pass.partials;
    const IndexMetadata& metadata = pass.metadata;
    if (partials.empty()) {
        Xapian::WritableDatabase empty(out, Xapian::DB_CREATE);
        if (!metadata.servable())
            RecordStoreWriter::create(out, 0).sync();
        empty.set_metadata(std::string(schema::kMetadataKey), metadata.to_json());
        empty.commit();
        empty.close();
        return;
    }
    {
        Xapian::Database all;
        for (const auto& p : partials) {
            all.add_database(Xapian::Database(p));
        }
        // Single pass, blocks filled full: the index is read far more than it is changed.
        all.compact(out, Xapian::Compactor::FULLER);
    }
    for (const auto& file : pass.record_files) {
        std::error_code ec;
        fs::rename(file, fs::path(out) / fs::path(file).filename(), ec);
        if (ec) {
            throw IndexError("cannot move the record file '" + file + "' into '" + out + "' (" +
                             ec.message() + "); check the folder's permissions");
        }
    }
    Xapian::WritableDatabase db(out, Xapian::DB_OPEN);
    db.set_metadata(std::string(schema::kMetadataKey), metadata.to_json());
    db.commit();
    db.close();
}

} // namespace

void normalize_facets(Record& record, const std::string& origin, const IndexMetadata& layout,
                      std::map<std::string, Taxonomy>& taxonomies, bool allow_new_codes) {
    for (auto& [name, values] : record.facets) {
        const FacetInfo* info = layout.facet(name);
        const bool hierarchical = info != nullptr && info->hierarchical;
        std::vector<std::string> normalized;
        for (const auto& value : values) {
            std::string stored = value;
            if (hierarchical) {
                auto coded = parse_coded_value(value);
                if (!coded) {
                    throw InvalidInput(
                        origin + ": facet '" + name + "' value '" + value +
                        "' does not begin with a code such as 3.1; facet '" + name +
                        "' is hierarchical, so write its values as \"CODE\" or \"CODE Name\"");
                }
                Taxonomy& taxonomy = taxonomies[name];
                if (taxonomy.facet().empty()) {
                    taxonomy.set_facet(name);
                }
                if (!taxonomy.contains(coded->code) && taxonomy.curated() && !allow_new_codes) {
                    throw InvalidInput(origin + ": code '" + coded->code + "' of facet '" + name +
                                       "' is not in the taxonomy; nearest valid codes: " +
                                       join(taxonomy.nearest(coded->code), ", ") +
                                       "; fix the code, or pass --allow-new-codes to accept it");
                }
                taxonomy.add_from_data(coded->code, coded->name);
                stored = coded->code;
            } else {
                stored.erase(0, stored.find_first_not_of(" \t"));
                stored.erase(stored.find_last_not_of(" \t") + 1);
            }
            if (std::find(normalized.begin(), normalized.end(), stored) == normalized.end()) {
                normalized.push_back(std::move(stored));
            }
        }
        values = std::move(normalized);
    }
}

bool bulk_build_applies(const std::string& db, const std::vector<std::string>& inputs,
                        const IndexOptions& options) {
    if (inputs.empty() || std::find(inputs.begin(), inputs.end(), "-") != inputs.end()) {
        return false;
    }
    if (const char* mode = std::getenv("AIRM_BULK_BUILD");
        mode != nullptr && std::string_view(mode) == "off") {
        return false;
    }
    const fs::path target = target_path(db);
    std::error_code ec;
    if (target.empty() || !fs::is_directory(parent_folder(target), ec)) {
        return false;
    }
    // The new index is renamed into place: not possible for ".", "..", "/" or the working folder.
    const fs::path absolute = fs::absolute(target, ec).lexically_normal();
    const std::string name = target.filename().string();
    if (ec || name.empty() || name == "." || name == ".." || absolute == fs::current_path(ec) ||
        absolute == absolute.root_path()) {
        return false;
    }
    if (options.rebuild || !fs::exists(target, ec)) {
        return true;
    }
    return fs::is_directory(target, ec) && fs::is_empty(target, ec);
}

IndexReport bulk_index(const std::string& db, const std::vector<std::string>& inputs,
                       const IndexOptions& options, const BulkOptions& bulk) {
    if (inputs.empty()) {
        throw InvalidInput("no input files given; pass one or more .jsonl, .json or .csv files");
    }
    const fs::path target = target_path(db);
    std::error_code ec;
    // Refuses a file or a folder of other files, and holds the lock of an index being rebuilt so
    // that no other writer changes it until it is replaced.
    const IndexLock lock = IndexLock::acquire(target.string(), options.lock_wait);
    BulkOptions tuning = bulk;
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    if (tuning.workers == 0) {
        tuning.workers =
            static_cast<unsigned>(std::min<std::size_t>(env_count("AIRM_BULK_WORKERS", cores), 64));
    }
    if (tuning.chunk_records == 0) {
        tuning.chunk_records = env_count("AIRM_BULK_CHUNK", kDefaultChunkRecords);
    }
    if (tuning.flush_records == 0) {
        tuning.flush_records = env_count("AIRM_BULK_FLUSH", kDefaultFlushRecords);
    }

    remove_stale_temp_folders(target);
    const fs::path folder = target.string() + std::string(kTempInfix) + std::to_string(getpid());
    fs::remove_all(folder, ec);
    if (!fs::create_directory(folder, ec) || ec) {
        throw IndexError("cannot create the temporary folder '" + folder.string() +
                         "' beside index '" + db + "' (" + ec.message() +
                         "); check that its folder is writable and has free space");
    }
    FolderGuard guard(folder);

    PassResult result;
    Learned learned;
    for (;;) {
        try {
            BulkPass pass(inputs, options, learned, tuning, folder);
            result = pass.run();
            break;
        } catch (const Restart& restart) {
            learned = restart.learned;
            for (const auto& entry : fs::directory_iterator(folder, ec)) {
                fs::remove_all(entry.path(), ec);
            }
        }
    }

    // Before anything replaces the target: an export without records must not empty an index.
    refuse_no_records(result.read, inputs, db, options.rebuild);

    const fs::path merged = folder / "merged";
    IndexReport report;
    try {
        merge(result, merged.string());
        report.total = Xapian::Database(merged.string()).get_doccount();
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, db);
    }
    report.read = result.read;
    report.added = result.kept;
    report.other_shards = result.read - result.kept;

    // Swap the new index into place; the old one (rebuild) goes away with the temporary folder.
    const fs::path old = folder / "old";
    bool moved_old = false;
    try {
        if (fs::exists(target) && !fs::is_empty(target)) {
            fs::rename(target, old);
            moved_old = true;
        }
        fs::rename(merged, target);
    } catch (const fs::filesystem_error& e) {
        if (moved_old) {
            fs::rename(old, target, ec); // put the previous index back
        }
        throw IndexError("cannot move the new index into '" + db + "' (" + e.code().message() +
                         "); check the folder's permissions");
    }
    return report;
}

} // namespace airm
