#include "indexer/build/ingest.hpp"

#include "engine/codes.hpp"
#include "engine/detail/xapian_access.hpp"
#include "engine/error.hpp"
#include "engine/index.hpp"
#include "engine/schema.hpp"
#include "indexer/build/bulk_build.hpp"
#include "indexer/build/detail/document_builder.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace airm {
namespace {

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& i : items) {
        out += (out.empty() ? "" : sep) + i;
    }
    return out;
}

/// Decides whether a facet seen for the first time is hierarchical: it is when a taxonomy was
/// given for it, or when every value begins with a code and at least one code is dotted.
bool looks_hierarchical(const std::vector<LoadedRecord>& batch, const std::string& facet) {
    bool dotted = false;
    for (const auto& loaded : batch) {
        auto it = loaded.record.facets.find(facet);
        if (it == loaded.record.facets.end())
            continue;
        for (const auto& value : it->second) {
            auto coded = parse_coded_value(value);
            if (!coded)
                return false;
            dotted = dotted || coded->code.find('.') != std::string::npos;
        }
    }
    return dotted;
}

} // namespace

PreparedBatch prepare_batch(const std::vector<std::string>& inputs, const IndexOptions& options,
                            IndexMetadata& metadata) {
    std::vector<LoadedRecord> batch;
    std::map<std::string, std::string> first_seen; // id -> origin
    for (const auto& input : inputs) {
        auto reader = open_records(input, options.load);
        LoadedRecord loaded;
        while (reader->next(loaded)) {
            if (loaded.record.has_no_text()) {
                throw InvalidInput(loaded.origin + ": record '" + loaded.record.id +
                                   "' has no text at all (title, text and reasoning are empty); "
                                   "give it a title or a text");
            }
            auto [it, inserted] = first_seen.emplace(loaded.record.id, loaded.origin);
            if (!inserted) {
                throw InvalidInput(loaded.origin + ": id '" + loaded.record.id +
                                   "' appears twice in this batch (first at " + it->second +
                                   "); ids must be unique, so fix or remove one of them");
            }
            batch.push_back(std::move(loaded));
            if (options.progress && batch.size() % 10000 == 0) {
                options.progress(0, 0);
            }
        }
    }

    IndexMetadata updated = metadata;
    for (const auto& taxonomy : options.taxonomies) {
        updated.ensure_facet(taxonomy.facet(), true).hierarchical = true;
        // The given taxonomy replaces the index's, keeping (as codes from data) the codes that
        // records already indexed may use.
        Taxonomy merged = taxonomy;
        if (const Taxonomy* before = updated.taxonomy(taxonomy.facet())) {
            for (const auto& code : before->codes()) {
                if (!merged.contains(code)) {
                    TaxonomyNode node = *before->find(code);
                    node.from_data = true;
                    merged.add(std::move(node));
                }
            }
        }
        updated.taxonomies[taxonomy.facet()] = std::move(merged);
    }
    std::set<std::string> facet_names;
    for (const auto& loaded : batch) {
        for (const auto& entry : loaded.record.facets)
            facet_names.insert(entry.first);
    }
    for (const auto& name : facet_names) {
        if (!updated.facet(name)) {
            updated.ensure_facet(name, looks_hierarchical(batch, name));
        }
    }

    PreparedBatch prepared;
    prepared.records.reserve(batch.size());
    for (auto& loaded : batch) {
        Record& record = loaded.record;
        normalize_facets(record, loaded.origin, updated, updated.taxonomies,
                         options.allow_new_codes);
        prepared.records.push_back(std::move(record));
    }
    metadata = std::move(updated);
    return prepared;
}

void refuse_no_records(std::uint64_t read, const std::vector<std::string>& inputs,
                       const std::string& db, bool rebuild) {
    if (read > 0)
        return;
    std::string names;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (i > 0)
            names += i + 1 == inputs.size() ? " and " : ", ";
        names += inputs[i] == "-" ? std::string("standard input") : "'" + inputs[i] + "'";
    }
    const std::string outcome = rebuild
                                    ? "the rebuild is refused and index '" + db + "' is unchanged"
                                    : "nothing was indexed and index '" + db + "' is unchanged";
    throw InvalidInput(
        names + (inputs.size() == 1 ? " holds" : " hold") + " no records; " + outcome +
        "; check the export (an empty file, a JSON [] or a CSV with only its header row) and "
        "pass the file that holds the records");
}

namespace {

/// True when `source` has what a documents table adds: title, authors, year or URL.
bool has_document(const Source& source) {
    return !source.title.empty() || !source.authors.empty() || source.year || !source.url.empty();
}

/// Refuses to replace records whose source document (title, authors, year, URL) the index holds
/// by records citing the same source without it, as re-indexing an export without its documents
/// table would: the years, titles and URLs (and year filters) would be lost without a word.
void refuse_dropping_documents(const IndexWriter& writer, const std::vector<Record>& records,
                               const std::vector<std::string>& inputs, const std::string& target) {
    std::uint64_t dropped = 0;
    std::string first;
    for (const Record& record : records) {
        if (has_document(record.source) || !writer.contains(record.id))
            continue;
        const std::optional<Record> old = writer.find(record.id);
        if (!old || !has_document(old->source) || old->source.ref != record.source.ref)
            continue;
        if (dropped++ == 0)
            first = record.id;
    }
    if (dropped == 0)
        return;
    throw InvalidInput(
        std::to_string(dropped) + (dropped == 1 ? " record" : " records") + " (first '" + first +
        "') of " + (inputs.size() == 1 ? "'" + inputs.front() + "'" : "the inputs") +
        " would replace records of index '" + target +
        "' that have a source title, year or URL, with none: nothing was indexed; pass the "
        "source documents again (--documents DOCS.csv for the MIT export), or --rebuild to "
        "replace the index with the records as they are");
}

IndexReport write_batch(IndexWriter& writer, const std::string& target,
                        const std::vector<std::string>& inputs, const IndexOptions& options) {
    IndexMetadata metadata = writer.metadata();
    PreparedBatch batch = prepare_batch(inputs, options, metadata);
    refuse_no_records(batch.records.size(), inputs, target, options.rebuild);
    if (!options.rebuild)
        refuse_dropping_documents(writer, batch.records, inputs, target);
    writer.metadata() = metadata;
    Analyzer analyzer(metadata.analyzer);
    Xapian::WritableDatabase& db = detail::IndexAccess::database(writer);
    RecordStoreWriter* records =
        metadata.servable() ? nullptr : &detail::IndexAccess::records(writer);
    IndexReport report;
    report.read = batch.records.size();
    if (const auto& shard = metadata.shard) {
        // Facets and taxonomy nodes were registered from the whole batch, so every shard built
        // from the same inputs has the same metadata.
        std::erase_if(batch.records, [&](const Record& record) {
            return shard_of(record.id, shard->count) != shard->index;
        });
        report.other_shards = report.read - batch.records.size();
    }
    try {
        std::uint64_t done = 0;
        for (const Record& record : batch.records) {
            const std::string id_term = schema::id_term(record.id);
            if (db.term_exists(id_term)) {
                ++report.replaced;
            } else {
                ++report.added;
            }
            db.replace_document(id_term, build_document(record, metadata, analyzer, records));
            if (options.progress && (++done % 1000 == 0 || done == batch.records.size())) {
                options.progress(done, batch.records.size());
            }
        }
    } catch (const Xapian::Error& e) {
        detail::rethrow_xapian(e, writer.path());
    }
    writer.commit();
    report.total = writer.record_count();
    return report;
}

} // namespace

IndexReport index_files(const std::string& db, const std::vector<std::string>& inputs,
                        const IndexOptions& options) {
    if (inputs.empty()) {
        throw InvalidInput("no input files given; pass one or more .jsonl, .json or .csv files");
    }
    if (bulk_build_applies(db, inputs, options)) {
        return bulk_index(db, inputs,
                          options); // a new, empty or rebuilt index: streamed, in parallel
    }
    if (!options.rebuild) {
        IndexWriter writer = IndexWriter::open(db, true, options.lock_wait);
        if (writer.record_count() == 0) {
            writer.metadata().analyzer = options.analyzer;
            writer.metadata().shard = options.shard;
        } else if (options.shard && writer.metadata().shard != options.shard) {
            const auto& had = writer.metadata().shard;
            throw InvalidInput(
                "index '" + db + "' is " +
                (had ? "shard " + had->to_string() + ", not " + options.shard->to_string()
                     : std::string("in the local layout, not a shard")) +
                "; pass --shard " + (had ? had->to_string() : std::string("K/N --rebuild")) +
                " or build the shard in a new folder");
        }
        return write_batch(writer, db, inputs, options);
    }
    // A rebuild writes a new index beside the old one and swaps them only when it has succeeded,
    // holding the old one's lock so that no other writer changes it meanwhile.
    fs::path target = fs::path(db).lexically_normal();
    if (target.filename().empty() && target.has_parent_path()) {
        target = target.parent_path(); // "db/" names the folder "db"
    }
    IndexLock lock = IndexLock::acquire(target.string(), options.lock_wait);
    const std::string fresh = target.string() + ".airm-rebuild";
    const std::string old = target.string() + ".airm-old";
    std::error_code ec;
    fs::remove_all(fresh, ec);
    IndexReport report;
    {
        IndexWriter writer = IndexWriter::open(fresh, true);
        writer.metadata().analyzer = options.analyzer;
        writer.metadata().shard = options.shard;
        try {
            report = write_batch(writer, db, inputs, options);
        } catch (...) {
            fs::remove_all(fresh, ec);
            throw;
        }
    }
    try {
        if (fs::exists(target)) {
            fs::rename(target, old);
        }
        fs::rename(fresh, target);
    } catch (const fs::filesystem_error& e) {
        if (!fs::exists(target, ec)) {
            fs::rename(old, target, ec); // put the previous index back
        }
        fs::remove_all(fresh, ec);
        throw IndexError("cannot move the rebuilt index into '" + db + "' (" + e.code().message() +
                         "); check the folder's permissions");
    }
    fs::remove_all(old, ec);
    return report;
}

DeleteReport delete_records(const std::string& db, const std::vector<std::string>& ids,
                            std::chrono::milliseconds lock_wait) {
    if (ids.empty()) {
        throw InvalidInput("no ids given; pass the ids of the records to delete");
    }
    IndexWriter writer = IndexWriter::open(db, false, lock_wait);
    std::vector<std::string> missing;
    const auto& shard = writer.metadata().shard;
    for (const auto& id : ids) {
        if (shard && shard_of(id, shard->count) != shard->index)
            continue; // another shard's record
        if (!writer.contains(id))
            missing.push_back(id);
    }
    if (!missing.empty()) {
        throw NotFound("index '" + db + "' has no record with id " + join(missing, ", ") +
                       "; nothing was deleted (list ids with 'airm search' or check them with "
                       "'airm show ID')");
    }
    DeleteReport report;
    for (const auto& id : ids) {
        if (writer.remove(id))
            ++report.removed;
    }
    writer.commit();
    report.total = writer.record_count();
    return report;
}

} // namespace airm
