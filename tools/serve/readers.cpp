#include "tools/serve/readers.hpp"

#include "engine/error.hpp"
#include "query/suggest/store.hpp"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace airm::http {

ReaderPool::ReaderPool(std::string db, const std::string& synonyms_file, std::size_t max_readers)
    : db_(std::move(db)), max_readers_(std::max<std::size_t>(1, max_readers)) {
    auto first = std::make_unique<Reader>(Reader{Index::open(db_), nullptr});
    if (!synonyms_file.empty() && std::filesystem::exists(synonyms_file)) {
        options_.synonyms = SynonymTable::load(synonyms_file, first->index.make_analyzer());
    }
    options_.keep_in_memory = true;
    first->searcher = make_searcher(first->index);
    free_.push_back(std::move(first));
    opened_ = 1;
}

std::unique_ptr<Searcher> ReaderPool::make_searcher(const Index& index) const {
    return std::make_unique<Searcher>(index, options_);
}

ReaderPool::Lease ReaderPool::acquire() {
    std::unique_ptr<Reader> reader;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        returned_.wait(lock, [this] { return !free_.empty() || opened_ < max_readers_; });
        if (!free_.empty()) {
            reader = std::move(free_.back());
            free_.pop_back();
        } else {
            ++opened_;
        }
    }
    if (reader == nullptr) {
        try {
            reader = std::make_unique<Reader>(Reader{Index::open(db_), nullptr});
            reader->searcher = make_searcher(reader->index);
        } catch (...) {
            {
                std::lock_guard<std::mutex> lock(mutex_);
                --opened_;
            }
            returned_.notify_one();
            throw;
        }
        return Lease(*this, std::move(reader));
    }
    Lease lease(*this, std::move(reader));
    lease.refresh();
    return lease;
}

std::size_t ReaderPool::opened() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return opened_;
}

ReaderPool::Lease::Lease(ReaderPool& pool, std::unique_ptr<Reader> reader)
    : pool_(&pool), reader_(std::move(reader)) {}

ReaderPool::Lease::~Lease() {
    if (reader_ == nullptr)
        return;
    {
        std::lock_guard<std::mutex> lock(pool_->mutex_);
        pool_->free_.push_back(std::move(reader_));
    }
    pool_->returned_.notify_one();
}

void ReaderPool::Lease::refresh(bool force) {
    if (reader_->index.refresh(force)) {
        // The searcher's in-memory columns describe the previous state.
        reader_->searcher = pool_->make_searcher(reader_->index);
    }
}

namespace {

std::unique_ptr<Suggester> load_current(const Index& index, const std::string& facet, bool save) {
    std::shared_ptr<const WordVectors> vectors;
    try {
        Suggester saved = open_suggester(index, facet);
        if (!model_is_stale(index, saved.model()))
            return std::make_unique<Suggester>(std::move(saved));
        vectors = saved.model().word_vectors; // a retrain keeps the model's word vectors
    } catch (const NotFound&) {
    } catch (const VersionMismatch&) {
    }
    TrainOptions options;
    options.word_vectors = vectors;
    SuggestModel model = train_for_index(index, facet, options);
    if (save) {
        try {
            save_for_index(model, index);
        } catch (const IndexError&) {
            // A read-only folder: suggest from the fresh model all the same.
        }
    }
    return std::make_unique<Suggester>(std::move(model));
}

void check_facet(const Index& index, const std::string& facet) {
    if (index.metadata().facet(facet) == nullptr) {
        std::string names;
        for (const auto& [name, info] : index.metadata().facets)
            names += (names.empty() ? "" : ", ") + name;
        throw NotFound("field '" + facet + "' is not a facet of this index; facets are: " + names);
    }
}

} // namespace

std::shared_ptr<SuggesterCache::Entry> SuggesterCache::get(const Index& index,
                                                           const std::string& facet) {
    check_facet(index, facet);
    const std::string fingerprint = index_fingerprint(index);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(facet);
    if (it != entries_.end() && it->second->fingerprint == fingerprint)
        return it->second;
    auto entry = std::make_shared<Entry>();
    entry->suggester = load_current(index, facet, save_);
    entry->fingerprint = fingerprint;
    entries_[facet] = entry;
    return entry;
}

std::shared_ptr<SuggesterCache::Entry> SuggesterCache::retrain(const Index& index,
                                                               const std::string& facet) {
    check_facet(index, facet);
    const std::string fingerprint = index_fingerprint(index);
    std::lock_guard<std::mutex> lock(mutex_);
    auto entry = std::make_shared<Entry>();
    TrainOptions options;
    try {
        options.word_vectors = saved_word_vectors(index, facet);
    } catch (const IndexError&) {
    }
    SuggestModel model = train_for_index(index, facet, options);
    if (save_)
        save_for_index(model, index);
    entry->suggester = std::make_unique<Suggester>(std::move(model));
    entry->fingerprint = fingerprint;
    entries_[facet] = entry;
    return entry;
}

} // namespace airm::http
