#include "engine/index.hpp"

#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "engine/record/codec.hpp"
#include "engine/record/store.hpp"
#include "engine/schema.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <thread>
#include <xapian.h>

namespace fs = std::filesystem;

namespace airm {
namespace detail {

bool held_by_another(const Xapian::Error& error) {
    // Xapian says "already locked" only when another process holds the lock; other failures
    // (the lock file cannot be opened) carry the system's reason instead.
    return error.get_msg().find("already locked") != std::string::npos;
}

void rethrow_xapian(const Xapian::Error& error, std::string_view path) {
    const std::string where(path);
    const std::string type = error.get_type();
    if (type == "DatabaseModifiedError") {
        throw IndexChanged("index '" + where +
                           "' changed while it was being read; run the command again");
    }
    if (type == "DatabaseLockError" && !held_by_another(error)) {
        // Not another writer: the lock file cannot be made or opened (permissions, a read-only
        // file system...), and waiting would not help.
        throw IndexError("cannot take the write lock of index '" + where + "' (" + error.get_msg() +
                         "); check that you may write to the folder and its files (permissions, "
                         "a read-only file system)");
    }
    if (type == "DatabaseLockError") {
        throw IndexError(
            "index '" + where +
            "' is locked by another process (an 'airm index' or 'airm delete' is still running); "
            "wait for it to finish and run the command again, or pass --wait SECONDS");
    }
    if (type == "DatabaseCorruptError") {
        throw IndexError("index '" + where + "' is corrupt (" + error.get_description() +
                         "); check it with 'xapian-check " + where +
                         "' and rebuild it with 'airm index --rebuild'");
    }
    if (type == "DatabaseVersionError") {
        throw VersionMismatch("index '" + where + "' was written by another Xapian format (" +
                              error.get_description() +
                              "); rebuild it with 'airm index --rebuild'");
    }
    if (type == "NetworkError" || type == "NetworkTimeoutError") {
        throw IndexError("a shard server of index '" + where + "' did not answer (" +
                         error.get_description() +
                         "); check that every 'xapian-tcpsrv' of its stub file is running, and "
                         "run the command again");
    }
    if (type == "DatabaseOpeningError" || type == "DatabaseNotFoundError") {
        throw IndexError("cannot open index '" + where + "': " + error.get_description());
    }
    // A failed read or write of the files (a full disk, a quota, permissions) carries its errno.
    const char* system = error.get_error_string();
    throw IndexError("index '" + where + "': " + error.get_description() +
                     (system != nullptr && *system != '\0'
                          ? "; check that the disk has free space and the folder is writable"
                          : ""));
}

} // namespace detail

namespace {

std::uint64_t folder_size(const std::string& path) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
        if (entry.is_regular_file(ec)) {
            total += entry.file_size(ec);
        }
    }
    return total;
}

IndexMetadata read_metadata(const Xapian::Database& db, const std::string& path) {
    std::string json = db.get_metadata(std::string(schema::kMetadataKey));
    if (json.empty()) {
        throw IndexError("'" + path +
                         "' is a Xapian database but not an airm index (it has no airm metadata); "
                         "pass a folder made by 'airm index', or a new folder to create one");
    }
    return IndexMetadata::from_json(json, path);
}

void check_is_index_folder(const std::string& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        throw NotFound("index '" + path + "' does not exist; build it with 'airm index --db " +
                       path + " FILE...'");
    }
    if (!fs::is_directory(path, ec)) {
        throw IndexError("'" + path +
                         "' is a file, not an index folder; pass the folder made by 'airm index'");
    }
    if (!looks_like_index(path)) {
        // `airm index` creates an index only in a new or empty folder: name this one only when
        // empty.
        if (fs::is_empty(path, ec) && !ec) {
            throw IndexError("'" + path +
                             "' is not an airm index (an empty folder); pass the folder made by "
                             "'airm index', or build one here with 'airm index --db " +
                             path + " FILE...'");
        }
        throw IndexError(
            "'" + path +
            "' is not an airm index (a folder with other files in it, and no Xapian database); "
            "pass the folder made by 'airm index', or build one in a new or empty folder with "
            "'airm index --db NEW_FOLDER FILE...'");
    }
}

/// The metadata of several shards read as one index: the first shard's, with the facets and
/// taxonomy codes of the others added. Shards must agree on the analyzer and on the value slot of
/// every facet, or the union would analyse queries or count facets wrongly.
IndexMetadata merged_metadata(const std::vector<Xapian::Database>& shards,
                              const std::vector<std::string>& paths,
                              const std::vector<bool>& remote) {
    IndexMetadata merged = read_metadata(shards.front(), paths.front());
    for (std::size_t i = 0; i < shards.size(); ++i) {
        const std::string& path = paths[i];
        const IndexMetadata meta = i == 0 ? merged : read_metadata(shards[i], path);
        if (remote[i] && !meta.servable()) {
            throw IndexError("shard '" + path +
                             "' is in the local layout (its records and text stems are not in "
                             "the database), so a shard server cannot serve it; rebuild it with "
                             "'airm index --shard K/N'");
        }
        if (meta.servable() != merged.servable()) {
            throw IndexError("shard '" + path + "' is " +
                             (meta.servable() ? "in the remote-servable" : "in the local") +
                             " layout and '" + paths.front() +
                             "' is not; build every shard with 'airm index --shard K/N'");
        }
        if (i == 0)
            continue;
        const std::string rebuild = "; rebuild the shards with the same settings and facets";
        if (!(meta.analyzer == merged.analyzer)) {
            throw IndexError("shard '" + path +
                             "' was built with another analyzer configuration than '" +
                             paths.front() + "'" + rebuild);
        }
        for (const auto& [name, info] : meta.facets) {
            auto it = merged.facets.find(name);
            if (it != merged.facets.end() &&
                (it->second.slot != info.slot || it->second.hierarchical != info.hierarchical)) {
                throw IndexError("shard '" + path + "' keeps facet '" + name + "' in value slot " +
                                 std::to_string(info.slot) + ", other shards in slot " +
                                 std::to_string(it->second.slot) + rebuild);
            }
            for (const auto& [other, other_info] : merged.facets) {
                if (other != name && other_info.slot == info.slot) {
                    throw IndexError("shard '" + path + "' keeps facet '" + name +
                                     "' in value slot " + std::to_string(info.slot) +
                                     ", where other shards keep facet '" + other + "'" + rebuild);
                }
            }
            merged.facets.emplace(name, info);
        }
        for (const auto& [name, taxonomy] : meta.taxonomies) {
            auto [it, inserted] = merged.taxonomies.emplace(name, taxonomy);
            if (!inserted) {
                for (const auto& code : taxonomy.codes()) {
                    it->second.add(*taxonomy.find(code));
                }
            }
        }
    }
    return merged;
}

/// `stored(did, pointer value, where)` gives a document's stored record bytes (compress_record's
/// form) from the record store.
template <typename Db, typename Stored>
std::optional<Record> find_record(const Db& db, std::string_view id, const std::string& path,
                                  Stored&& stored) {
    const std::string term = schema::id_term(id);
    Xapian::PostingIterator it = db.postlist_begin(term);
    if (it == db.postlist_end(term)) {
        return std::nullopt;
    }
    const std::string where = path + ", record " + std::string(id);
    const std::string pointer = db.get_document(*it).get_value(schema::kSlotRecord);
    return parse_record(decompress_record(stored(*it, pointer, where), where), where);
}

template <typename Db, typename Stored>
void visit_records(const Db& db, const std::function<void(const Record&)>& visit,
                   const std::string& path, Stored&& stored) {
    for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
        const std::string where = path + ", document " + std::to_string(*it);
        const std::string pointer = db.get_document(*it).get_value(schema::kSlotRecord);
        visit(parse_record(decompress_record(stored(*it, pointer, where), where), where));
    }
}

/// One database of the collection: a local folder, or a shard served by `xapian-tcpsrv`.
struct ShardSource {
    std::string name; ///< for messages: the folder, or "HOST:PORT (STUB line N)"
    std::string folder;
    std::string host;
    unsigned port = 0;
    [[nodiscard]] bool remote() const { return !host.empty(); }
};

/// The databases a --db argument names: a folder, or a Xapian stub file whose lines are
/// "remote HOST:PORT" (a `xapian-tcpsrv`) or "auto PATH" (a folder, relative to the stub file).
std::vector<ShardSource> sources_of(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        check_is_index_folder(path);
        return {ShardSource{path, path, {}, 0}};
    }
    std::ifstream in(path);
    if (!in) {
        throw IndexError("cannot read the stub file '" + path + "'; check its permissions");
    }
    const std::string format = "; a stub file holds lines 'remote HOST:PORT' (a shard served by "
                               "xapian-tcpsrv) or 'auto FOLDER' (a local shard)";
    std::vector<ShardSource> out;
    std::string line;
    for (unsigned number = 1; std::getline(in, line); ++number) {
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#')
            continue;
        const auto last = line.find_last_not_of(" \t\r");
        const std::string text = line.substr(first, last - first + 1);
        const auto space = text.find_first_of(" \t");
        const std::string kind = text.substr(0, space);
        const std::string rest =
            space == std::string::npos ? "" : text.substr(text.find_first_not_of(" \t", space));
        const std::string where = "'" + path + "' line " + std::to_string(number);
        if (kind == "remote") {
            const auto colon = rest.rfind(':');
            unsigned port = 0;
            const char* begin = rest.data() + (colon == std::string::npos ? 0 : colon + 1);
            const auto [end, err] = std::from_chars(begin, rest.data() + rest.size(), port);
            if (colon == std::string::npos || colon == 0 || err != std::errc() ||
                end != rest.data() + rest.size() || port == 0 || port > 65535) {
                throw IndexError(where + ": '" + text + "' is not 'remote HOST:PORT'" + format);
            }
            const std::string host = rest.substr(0, colon);
            out.push_back(ShardSource{
                host + ":" + rest.substr(colon + 1) + " (" + where + ")", {}, host, port});
        } else if ((kind == "auto" || kind == "glass") && !rest.empty()) {
            fs::path folder(rest);
            if (folder.is_relative())
                folder = fs::path(path).parent_path() / folder;
            check_is_index_folder(folder.string());
            out.push_back(ShardSource{folder.string(), folder.string(), {}, 0});
        } else {
            throw IndexError("'" + path +
                             "' is a file, not an index folder nor a stub file of shards (line " +
                             std::to_string(number) + " is '" + text.substr(0, 60) +
                             "'); pass the folder made by 'airm index'" + format);
        }
    }
    if (out.empty()) {
        throw IndexError("the stub file '" + path + "' names no database" + format);
    }
    return out;
}

/// Opens one database of the collection; a shard server that cannot be reached is named.
Xapian::Database open_source(const ShardSource& source) {
    if (!source.remote())
        return Xapian::Database(source.folder);
    constexpr unsigned kTimeoutMs = 10000;
    try {
        return Xapian::Remote::open(source.host, source.port, kTimeoutMs, kTimeoutMs);
    } catch (const Xapian::NetworkError& e) {
        throw IndexError("shard server " + source.name + " cannot be reached (" +
                         e.get_description() + "); start it with 'xapian-tcpsrv --port " +
                         std::to_string(source.port) +
                         " SHARD_FOLDER' on that host, or remove the line for it; nothing was "
                         "searched");
    }
}

} // namespace

bool looks_like_index(const std::string& path) {
    std::error_code ec;
    return fs::exists(fs::path(path) / "iamglass", ec) ||
           fs::exists(fs::path(path) / "iamchert", ec);
}

// ---------------------------------------------------------------- Index

struct Index::Impl {
    std::vector<std::string> paths;       ///< as given: folders or stub files
    std::vector<std::string> shard_names; ///< one per database of `shards`
    std::vector<bool> remote;             ///< per database: served by a shard server
    std::vector<Xapian::Database> shards; ///< sharing their state with `db`
    Xapian::Database db;
    IndexMetadata metadata;
    std::vector<RecordStoreReader> stores; ///< one per shard (local layout only)
    mutable std::string data;              ///< the last document data read (servable layout)
    /// When the shard servers were last asked for a new commit (refresh()), as steady_clock
    /// ticks: opening the index counts as asking.
    mutable std::atomic<std::chrono::steady_clock::rep> servers_asked{
        std::chrono::steady_clock::now().time_since_epoch().count()};

    /// Whether refresh() asks the shard servers now, claiming the second when it does: at most
    /// once a second between every caller, or whenever forced.
    [[nodiscard]] bool ask_servers(bool force) const {
        constexpr std::chrono::steady_clock::duration kEvery = std::chrono::seconds(1);
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        if (force) {
            servers_asked.store(now);
            return true;
        }
        auto last = servers_asked.load();
        return now - last >= kEvery.count() && servers_asked.compare_exchange_strong(last, now);
    }

    /// The stored bytes of document `did` of `db`, whose kSlotRecord holds `pointer` (the local
    /// layout), or whose document data holds them (the remote-servable layout).
    template <typename Pointer>
    std::string_view stored(Xapian::docid did, const Pointer& pointer,
                            std::string_view where) const {
        if (metadata.servable()) {
            data = db.get_document(did, Xapian::DOC_ASSUME_VALID).get_data();
            return data;
        }
        const std::size_t shard = stores.size() == 1 ? 0 : (did - 1) % stores.size();
        return stores[shard].read(pointer, where);
    }
};

Index::Index(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Index::Index(Index&&) noexcept = default;
Index& Index::operator=(Index&&) noexcept = default;
Index::~Index() = default;

Index Index::open(const std::string& path) {
    return open(std::vector<std::string>{path});
}

Index Index::open(const std::vector<std::string>& paths) {
    if (paths.empty()) {
        throw InvalidInput("no index given; pass --db FOLDER");
    }
    auto impl = std::make_unique<Impl>();
    impl->paths = paths;
    std::vector<ShardSource> sources;
    for (const std::string& path : paths) {
        for (auto& source : sources_of(path))
            sources.push_back(std::move(source));
    }
    for (const ShardSource& source : sources) {
        try {
            impl->shards.push_back(open_source(source));
            impl->db.add_database(impl->shards.back());
            impl->shard_names.push_back(source.name);
            impl->remote.push_back(source.remote());
        } catch (const Xapian::Error& e) {
            detail::rethrow_xapian(e, source.name);
        }
    }
    try {
        impl->metadata = merged_metadata(impl->shards, impl->shard_names, impl->remote);
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, paths.front());
    }
    if (!impl->metadata.servable()) {
        for (const ShardSource& source : sources)
            impl->stores.emplace_back(source.folder);
    }
    return Index(std::move(impl));
}

const IndexMetadata& Index::metadata() const {
    return impl_->metadata;
}

Analyzer Index::make_analyzer() const {
    return Analyzer(impl_->metadata.analyzer);
}

std::uint64_t Index::record_count() const {
    return impl_->db.get_doccount();
}

std::optional<Record> Index::find(std::string_view id) const {
    try {
        return find_record(
            impl_->db, id, impl_->paths.front(),
            [&](Xapian::docid did, std::string_view pointer, std::string_view where) {
                return impl_->stored(did, pointer, where);
            });
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->paths.front());
    }
}

void Index::for_each_record(const std::function<void(const Record&)>& visit) const {
    try {
        if (impl_->metadata.servable()) {
            // In id order, whatever the number of shards: what is trained on the records (models)
            // is then the same from one index and from its shards.
            const std::string prefix = schema::id_term("");
            for (auto it = impl_->db.allterms_begin(prefix); it != impl_->db.allterms_end(prefix);
                 ++it) {
                const std::string term = *it;
                const Xapian::PostingIterator post = impl_->db.postlist_begin(term);
                if (post == impl_->db.postlist_end(term))
                    continue;
                const std::string where =
                    impl_->paths.front() + ", record " + term.substr(prefix.size());
                visit(
                    parse_record(decompress_record(impl_->stored(*post, "", where), where), where));
            }
            return;
        }
        visit_records(impl_->db, visit, impl_->paths.front(),
                      [&](Xapian::docid did, std::string_view pointer, std::string_view where) {
                          return impl_->stored(did, pointer, where);
                      });
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->paths.front());
    }
}

std::vector<std::string> Index::ids_starting_with(std::string_view start, std::size_t limit) const {
    const auto lower = [](std::string_view text) {
        std::string out(text);
        for (char& c : out) {
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c - 'A' + 'a');
        }
        return out;
    };
    std::vector<std::string> exact;
    std::vector<std::string> folded;
    const std::string id_prefix = schema::id_term("");
    const std::string start_folded = lower(start);
    try {
        // Exact matches are a range of the term list; the folded ones need every id (an error
        // path: once per unknown id).
        const std::string exact_prefix = schema::id_term(start);
        for (auto it = impl_->db.allterms_begin(exact_prefix);
             it != impl_->db.allterms_end(exact_prefix) && exact.size() < limit; ++it) {
            exact.push_back((*it).substr(id_prefix.size()));
        }
        for (auto it = impl_->db.allterms_begin(id_prefix);
             it != impl_->db.allterms_end(id_prefix) && exact.size() + folded.size() < limit;
             ++it) {
            const std::string id = (*it).substr(id_prefix.size());
            if (id.size() >= start.size() && id.compare(0, start.size(), start) != 0 &&
                lower(std::string_view(id).substr(0, start.size())) == start_folded)
                folded.push_back(id);
        }
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->paths.front());
    }
    exact.insert(exact.end(), folded.begin(), folded.end());
    return exact;
}

const std::vector<std::string>& Index::paths() const {
    return impl_->paths;
}

std::uint64_t Index::size_on_disk() const {
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < impl_->shard_names.size(); ++i) {
        if (!impl_->remote[i])
            total += folder_size(impl_->shard_names[i]);
    }
    return total;
}

std::size_t Index::remote_shards() const {
    return static_cast<std::size_t>(std::count(impl_->remote.begin(), impl_->remote.end(), true));
}

const std::vector<std::string>& Index::shard_names() const {
    return impl_->shard_names;
}

Index::RecordSpace Index::record_space() const {
    RecordSpace space;
    if (impl_->metadata.servable()) {
        return space; // the records are the document data: no record files
    }
    std::uint64_t used = 0;
    for (const auto& path : impl_->shard_names) {
        const RecordFiles files = record_files(path);
        space.files += files.files;
        space.bytes += files.bytes;
        used += files.header_bytes;
    }
    try {
        for (auto it = impl_->db.valuestream_begin(schema::kSlotRecord);
             it != impl_->db.valuestream_end(schema::kSlotRecord); ++it) {
            if (const auto pointer = decode_record_pointer(*it))
                used += pointer->length;
        }
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->paths.front());
    }
    space.unused_bytes = space.bytes > used ? space.bytes - used : 0;
    return space;
}

std::map<std::string, std::uint64_t> Index::facet_counts(std::string_view facet) const {
    std::map<std::string, std::uint64_t> counts;
    const FacetInfo* info = impl_->metadata.facet(facet);
    if (info == nullptr) {
        return counts;
    }
    auto add = [&counts](const std::string& values, std::uint64_t n) {
        schema::for_each_value(values, [&](std::string_view v) { counts[std::string(v)] += n; });
    };
    try {
        if (remote_shards() > 0) {
            // Value streams are not read over the remote protocol: count the slot's
            // combinations with Xapian's own spy, which shard servers run and merge.
            Xapian::Enquire enquire(impl_->db);
            enquire.set_query(Xapian::Query::MatchAll);
            enquire.set_weighting_scheme(Xapian::BoolWeight());
            Xapian::ValueCountMatchSpy spy(info->slot);
            enquire.add_matchspy(&spy);
            (void)enquire.get_mset(0, 0, impl_->db.get_doccount());
            for (auto it = spy.values_begin(); it != spy.values_end(); ++it)
                add(*it, it.get_termfreq());
            return counts;
        }
        for (auto it = impl_->db.valuestream_begin(info->slot);
             it != impl_->db.valuestream_end(info->slot); ++it) {
            add(*it, 1);
        }
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->paths.front());
    }
    return counts;
}

bool Index::refresh(bool force) const {
    Impl& d = *impl_;
    try {
        bool changed = false;
        if (remote_shards() == 0 || d.ask_servers(force)) {
            changed = d.db.reopen(); // every shard (they share their state with db)
        } else {
            for (std::size_t i = 0; i < d.shards.size(); ++i) {
                if (!d.remote[i] && d.shards[i].reopen())
                    changed = true;
            }
        }
        if (!changed)
            return false;
        d.metadata = merged_metadata(d.shards, d.shard_names, d.remote);
        return true;
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, d.paths.front());
    }
}

// ---------------------------------------------------------------- IndexWriter

struct IndexWriter::Impl {
    std::string path;
    Xapian::WritableDatabase db;
    std::optional<RecordStoreWriter>
        records; ///< appends to the folder's last record segment (declared
                 ///< after db: destroyed first, while the lock is held)
    std::optional<RecordStoreReader> others; ///< reads the other segments
    IndexMetadata metadata;
    bool in_transaction = false;
    bool created = false;        ///< this writer made the database
    bool folder_existed = false; ///< ... in a folder that existed (empty) before
    bool committed = false;

    void begin() {
        db.begin_transaction(true);
        in_transaction = true;
    }

    /// A record this writer's database points to, committed or not.
    std::string stored(std::string_view pointer, std::string_view where) {
        const auto p = decode_record_pointer(pointer);
        if (!p) {
            throw IndexError(
                std::string(where) + " of index '" + path +
                "' has no valid stored-record pointer; rebuild the index with 'airm index "
                "--rebuild --db " +
                path + " FILE...'");
        }
        if (p->segment == records->segment()) {
            return records->read(*p, where);
        }
        if (!others) {
            others.emplace(path); // the segments this writer does not append to
        }
        return std::string(others->read(*p, where));
    }
};

IndexWriter::IndexWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IndexWriter::IndexWriter(IndexWriter&&) noexcept = default;
IndexWriter& IndexWriter::operator=(IndexWriter&&) noexcept = default;

IndexWriter::~IndexWriter() {
    if (!impl_) {
        return;
    }
    try {
        if (impl_->in_transaction) {
            impl_->db.cancel_transaction();
        }
        // The record file is cut back to its committed size while the lock is still held: once
        // close() lets the lock go, the next writer may append and commit after those bytes.
        impl_->records.reset();
        impl_->db.close();
    } catch (const Xapian::Error&) {
        // Nothing uncommitted survives; the database keeps its last committed state.
    }
    if (impl_->created && !impl_->committed) {
        // A failed first command leaves the folder as it found it: absent, or empty.
        std::error_code ec;
        if (impl_->folder_existed) {
            for (const auto& entry : fs::directory_iterator(impl_->path, ec)) {
                fs::remove_all(entry.path(), ec);
            }
        } else {
            fs::remove_all(impl_->path, ec);
        }
    }
}

namespace {

/// What a folder given for writing holds. Throws IndexError for a file or a folder of other files.
struct WriteTarget {
    bool exists = false;
    bool empty_folder = false;
};

WriteTarget check_write_target(const std::string& path) {
    std::error_code ec;
    WriteTarget target;
    target.exists = fs::exists(path, ec);
    if (target.exists && !fs::is_directory(path, ec)) {
        throw IndexError("'" + path + "' is a file, not an index folder; pass a folder for --db");
    }
    target.empty_folder = target.exists && fs::is_empty(path, ec);
    if (target.exists && !target.empty_folder && !looks_like_index(path)) {
        throw IndexError(
            "'" + path +
            "' is not an airm index (a folder with other files in it); pass the folder made by "
            "'airm index', or a new or empty folder to create an index there");
    }
    return target;
}

/// Opens `path` for writing, waiting up to `wait` while another writer holds its lock.
Xapian::WritableDatabase open_writable(const std::string& path, int flags,
                                       std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (true) {
        try {
            return Xapian::WritableDatabase(path, flags);
        } catch (const Xapian::DatabaseLockError& e) {
            if (std::chrono::steady_clock::now() >= deadline || !detail::held_by_another(e)) {
                throw;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

} // namespace

IndexWriter IndexWriter::open(const std::string& path, bool create,
                              std::chrono::milliseconds wait) {
    const WriteTarget target = check_write_target(path);
    const bool exists = target.exists;
    const bool empty_folder = target.empty_folder;
    if (!exists || empty_folder) {
        if (!create) {
            throw NotFound("index '" + path + "' does not exist; build it with 'airm index --db " +
                           path + " FILE...'");
        }
    }
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    try {
        bool fresh = !exists || empty_folder;
        impl->created = fresh;
        impl->folder_existed = exists;
        impl->db = open_writable(path, fresh ? Xapian::DB_CREATE_OR_OPEN : Xapian::DB_OPEN, wait);
        if (fresh || impl->db.get_metadata(std::string(schema::kMetadataKey)).empty()) {
            if (!fresh && impl->db.get_doccount() > 0) {
                throw IndexError(
                    "'" + path +
                    "' is a Xapian database but not an airm index (it has no airm metadata); "
                    "pass a folder made by 'airm index', or a new folder to create one");
            }
            impl->metadata = IndexMetadata::fresh();
        } else {
            impl->metadata = read_metadata(impl->db, path);
        }
        impl->records.emplace(RecordStoreWriter::open_last(path));
        impl->begin();
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, path);
    }
    return IndexWriter(std::move(impl));
}

IndexMetadata& IndexWriter::metadata() {
    return impl_->metadata;
}

const std::string& IndexWriter::path() const {
    return impl_->path;
}

std::uint64_t IndexWriter::record_count() const {
    return impl_->db.get_doccount();
}

bool IndexWriter::contains(std::string_view id) const {
    try {
        return impl_->db.term_exists(schema::id_term(id));
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->path);
    }
}

std::optional<Record> IndexWriter::find(std::string_view id) const {
    try {
        return find_record(impl_->db, id, impl_->path,
                           [&](Xapian::docid, std::string_view pointer, std::string_view where) {
                               return impl_->stored(pointer, where);
                           });
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->path);
    }
}

void IndexWriter::for_each_record(const std::function<void(const Record&)>& visit) const {
    try {
        visit_records(impl_->db, visit, impl_->path,
                      [&](Xapian::docid, std::string_view pointer, std::string_view where) {
                          return impl_->stored(pointer, where);
                      });
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->path);
    }
}

bool IndexWriter::remove(std::string_view id) {
    try {
        const std::string term = schema::id_term(id);
        if (!impl_->db.term_exists(term)) {
            return false;
        }
        impl_->db.delete_document(term);
        return true;
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->path);
    }
}

void IndexWriter::commit() {
    try {
        impl_->db.set_metadata(std::string(schema::kMetadataKey), impl_->metadata.to_json());
        impl_->records->sync(); // the records first: the commit points to them
        impl_->db.commit_transaction();
        impl_->in_transaction = false;
        impl_->committed = true;
        impl_->begin();
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->path);
    }
}

void IndexWriter::cancel() {
    try {
        impl_->db.cancel_transaction();
        impl_->records->rollback();
        impl_->in_transaction = false;
        impl_->metadata = impl_->db.get_metadata(std::string(schema::kMetadataKey)).empty()
                              ? IndexMetadata::fresh()
                              : read_metadata(impl_->db, impl_->path);
        impl_->begin();
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, impl_->path);
    }
}

IndexWriter::CompactReport IndexWriter::compact() {
    Impl& w = *impl_;
    CompactReport report;
    const RecordFiles before = record_files(w.path);
    report.files_before = before.files;
    report.bytes_before = before.bytes;
    const std::uint32_t segment = w.records->segment() + 1; // above every segment of the folder
    const std::string fresh_path = (fs::path(w.path) / record_segment_name(segment)).string();
    std::optional<RecordStoreWriter> fresh;
    try {
        fresh.emplace(RecordStoreWriter::create(w.path, segment));
        std::vector<Xapian::docid> docs;
        for (auto it = w.db.postlist_begin(""); it != w.db.postlist_end(""); ++it)
            docs.push_back(*it);
        for (const Xapian::docid did : docs) {
            Xapian::Document doc = w.db.get_document(did);
            const std::string where = w.path + ", document " + std::to_string(did);
            const std::string bytes = w.stored(doc.get_value(schema::kSlotRecord), where);
            // Only a value changes: Xapian rewrites no terms or positions for it.
            doc.add_value(schema::kSlotRecord, fresh->append(bytes));
            w.db.replace_document(did, doc);
        }
        report.records = docs.size();
        w.db.set_metadata(std::string(schema::kMetadataKey), w.metadata.to_json());
        fresh->sync();
        sync_record_folder(w.path); // the new file's name is durable before the commit
        w.db.commit_transaction();
        w.in_transaction = false;
        w.committed = true;
    } catch (...) {
        fresh.reset();
        std::error_code ec;
        fs::remove(fresh_path, ec); // pointed to by no commit
        if (w.in_transaction) {
            try {
                w.db.cancel_transaction();
                w.in_transaction = false;
            } catch (const Xapian::Error&) {
                // Closed on destruction; the database keeps its last committed state.
            }
        }
        try {
            throw;
        } catch (const Xapian::Error& e) {
            detail::rethrow_xapian(e, w.path);
        }
    }
    // Committed: new records go to the new file, and the old files are no longer pointed to.
    w.records = std::move(fresh);
    w.others.reset();
    remove_record_segments_below(w.path, segment);
    const RecordFiles after = record_files(w.path);
    report.files_after = after.files;
    report.bytes_after = after.bytes;
    try {
        w.begin();
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, w.path);
    }
    return report;
}

// ---------------------------------------------------------------- IndexLock

struct IndexLock::Impl {
    Xapian::WritableDatabase db;
};

IndexLock::IndexLock(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IndexLock::IndexLock(IndexLock&&) noexcept = default;
IndexLock& IndexLock::operator=(IndexLock&&) noexcept = default;
IndexLock::~IndexLock() {
    release();
}

IndexLock IndexLock::acquire(const std::string& path, std::chrono::milliseconds wait) {
    const WriteTarget target = check_write_target(path);
    if (!target.exists || target.empty_folder) {
        return IndexLock(nullptr);
    }
    try {
        return IndexLock(std::make_unique<Impl>(Impl{open_writable(path, Xapian::DB_OPEN, wait)}));
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, path);
    }
}

void IndexLock::release() {
    if (!impl_) {
        return;
    }
    try {
        impl_->db.close();
    } catch (const Xapian::Error&) {
        // Nothing was written under this lock; closing only lets it go.
    }
    impl_.reset();
}

// ---------------------------------------------------------------- access

namespace detail {

const Xapian::Database& IndexAccess::database(const Index& index) {
    return index.impl_->db;
}

Xapian::WritableDatabase& IndexAccess::database(IndexWriter& writer) {
    return writer.impl_->db;
}

const std::vector<Xapian::Database>& IndexAccess::shards(const Index& index) {
    return index.impl_->shards;
}

RecordStoreWriter& IndexAccess::records(IndexWriter& writer) {
    return *writer.impl_->records;
}

std::string_view IndexAccess::stored_record(const Index& index, Xapian::docid did,
                                            std::string_view pointer, std::string_view where) {
    return index.impl_->stored(did, pointer, where);
}

std::string_view IndexAccess::stored_record(const Index& index, Xapian::docid did,
                                            const RecordPointer& pointer, std::string_view where) {
    return index.impl_->stored(did, pointer, where);
}

} // namespace detail
} // namespace airm
