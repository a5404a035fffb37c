#include "engine/record/store.hpp"

#include "engine/error.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace airm {
namespace {

constexpr std::string_view kHeader = "airm-records 1\n";
constexpr std::string_view kFormatName = "airm-records ";
constexpr std::size_t kWriteBuffer = std::size_t{1} << 20;

/// The fix for a damaged or outdated record file of the index in `folder`.
std::string rebuild_hint(const fs::path& folder) {
    return "; rebuild the index with 'airm index --rebuild --db " + folder.string() + " FILE...'";
}

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7F) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

std::optional<std::uint64_t> get_varint(std::string_view in, std::size_t& at) {
    std::uint64_t v = 0;
    for (unsigned shift = 0; shift < 64 && at < in.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(in[at++]);
        v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0)
            return v;
    }
    return std::nullopt;
}

std::string system_error(const std::string& what, const std::string& path) {
    return what + " '" + path + "' (" + std::strerror(errno) + ")";
}

/// The segment number of a file name "records-N.airm", or nullopt.
std::optional<std::uint32_t> segment_of(std::string_view name) {
    constexpr std::string_view head = "records-", tail = ".airm";
    if (name.size() <= head.size() + tail.size() || name.substr(0, head.size()) != head ||
        name.substr(name.size() - tail.size()) != tail)
        return std::nullopt;
    const std::string_view digits =
        name.substr(head.size(), name.size() - head.size() - tail.size());
    std::uint32_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || record_segment_name(n) != name)
        return std::nullopt;
    return n;
}

/// Checks the first bytes of a segment: the format name and this version.
void check_header(std::string_view head, const std::string& path) {
    const std::string fix = rebuild_hint(fs::path(path).parent_path());
    if (head == kHeader)
        return;
    if (head.substr(0, kFormatName.size()) == kFormatName) {
        throw VersionMismatch("record file '" + path + "' has format '" +
                              std::string(head.substr(0, head.find('\n'))) +
                              "', but this airm reads '" +
                              std::string(kHeader.substr(0, kHeader.size() - 1)) + "'" + fix);
    }
    throw IndexError("'" + path + "' is not an airm record file (it does not start with '" +
                     std::string(kHeader.substr(0, kHeader.size() - 1)) + "')" + fix);
}

} // namespace

std::string encode_record_pointer(const RecordPointer& pointer) {
    std::string out;
    put_varint(out, pointer.segment);
    put_varint(out, pointer.offset);
    put_varint(out, pointer.length);
    return out;
}

std::optional<RecordPointer> decode_record_pointer(std::string_view value) {
    std::size_t at = 0;
    const auto segment = get_varint(value, at);
    const auto offset = segment ? get_varint(value, at) : std::nullopt;
    const auto length = offset ? get_varint(value, at) : std::nullopt;
    if (!length || at != value.size() || *segment > UINT32_MAX || *length > UINT32_MAX)
        return std::nullopt;
    return RecordPointer{static_cast<std::uint32_t>(*segment), *offset,
                         static_cast<std::uint32_t>(*length)};
}

std::string record_segment_name(std::uint32_t segment) {
    return "records-" + std::to_string(segment) + ".airm";
}

RecordFiles record_files(const std::string& folder) {
    RecordFiles out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        if (segment_of(entry.path().filename().string())) {
            ++out.files;
            out.bytes += entry.file_size(ec);
            out.header_bytes += kHeader.size();
        }
    }
    return out;
}

void sync_record_folder(const std::string& folder) {
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
    }
}

std::uint64_t remove_record_segments_below(const std::string& folder, std::uint32_t segment) {
    std::vector<fs::path> old;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        const auto n = segment_of(entry.path().filename().string());
        if (n && *n < segment)
            old.push_back(entry.path());
    }
    std::uint64_t removed = 0;
    for (const auto& path : old) {
        if (fs::remove(path, ec))
            ++removed;
    }
    sync_record_folder(folder);
    return removed;
}

// ---------------------------------------------------------------- writer

struct RecordStoreWriter::Impl {
    std::string path;
    std::uint32_t segment = 0;
    int fd = -1;
    std::uint64_t written = 0; ///< bytes in the file
    std::uint64_t synced = 0;  ///< bytes known durable: what rollback() returns to
    std::string buffer;        ///< appended, not yet written

    ~Impl() {
        if (fd >= 0) {
            if (written > synced)
                (void)::ftruncate(fd, static_cast<off_t>(synced)); // never pointed to by a commit
            ::close(fd);
        }
    }

    void write_all(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(written));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                throw IndexError(system_error("cannot write the record file", path) +
                                 "; check that the disk has free space");
            }
            written += static_cast<std::uint64_t>(n);
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    void flush() {
        write_all(buffer);
        buffer.clear();
    }
};

RecordStoreWriter::RecordStoreWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RecordStoreWriter::RecordStoreWriter(RecordStoreWriter&&) noexcept = default;
RecordStoreWriter& RecordStoreWriter::operator=(RecordStoreWriter&&) noexcept = default;
RecordStoreWriter::~RecordStoreWriter() = default;

RecordStoreWriter RecordStoreWriter::create(const std::string& folder, std::uint32_t segment) {
    auto impl = std::make_unique<Impl>();
    impl->path = (fs::path(folder) / record_segment_name(segment)).string();
    impl->segment = segment;
    impl->fd = ::open(impl->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (impl->fd < 0) {
        throw IndexError(system_error("cannot create the record file", impl->path) +
                         "; check that the folder is writable");
    }
    impl->write_all(kHeader);
    return RecordStoreWriter(std::move(impl));
}

RecordStoreWriter RecordStoreWriter::open_last(const std::string& folder) {
    std::optional<std::uint32_t> last;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        const auto n = segment_of(entry.path().filename().string());
        if (n && (!last || *n > *last))
            last = n;
    }
    if (ec) {
        throw IndexError("cannot list index folder '" + folder + "' (" + ec.message() + ")");
    }
    if (!last) {
        RecordStoreWriter w = create(folder, 0);
        w.sync();
        sync_record_folder(folder); // the new file's name is durable before a commit points into it
        return w;
    }
    auto impl = std::make_unique<Impl>();
    impl->path = (fs::path(folder) / record_segment_name(*last)).string();
    impl->segment = *last;
    impl->fd = ::open(impl->path.c_str(), O_RDWR | O_CLOEXEC);
    if (impl->fd < 0) {
        throw IndexError(system_error("cannot open the record file", impl->path) +
                         "; check the index folder's permissions");
    }
    struct stat st {};
    if (::fstat(impl->fd, &st) != 0) {
        throw IndexError(system_error("cannot read the record file", impl->path));
    }
    std::string head(kHeader.size(), '\0');
    const ssize_t n = ::pread(impl->fd, head.data(), head.size(), 0);
    head.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    check_header(head, impl->path);
    impl->written = impl->synced = static_cast<std::uint64_t>(st.st_size);
    return RecordStoreWriter(std::move(impl));
}

std::string RecordStoreWriter::append(std::string_view bytes) {
    const RecordPointer pointer{impl_->segment, impl_->written + impl_->buffer.size(),
                                static_cast<std::uint32_t>(bytes.size())};
    if (bytes.size() > UINT32_MAX) {
        throw InvalidInput("a record of " + std::to_string(bytes.size()) +
                           " bytes is too large to store; split its text");
    }
    impl_->buffer.append(bytes);
    if (impl_->buffer.size() >= kWriteBuffer)
        impl_->flush();
    return encode_record_pointer(pointer);
}

std::string RecordStoreWriter::read(const RecordPointer& pointer, std::string_view where) {
    impl_->flush();
    if (pointer.segment != impl_->segment || pointer.offset < kHeader.size() ||
        pointer.length > impl_->written || pointer.offset > impl_->written - pointer.length) {
        throw IndexError(std::string(where) + ": stored record pointer is out of range of '" +
                         impl_->path + "'" + rebuild_hint(fs::path(impl_->path).parent_path()));
    }
    std::string out(pointer.length, '\0');
    std::size_t done = 0;
    while (done < out.size()) {
        const ssize_t n = ::pread(impl_->fd, out.data() + done, out.size() - done,
                                  static_cast<off_t>(pointer.offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw IndexError(system_error("cannot read the record file", impl_->path));
        done += static_cast<std::size_t>(n);
    }
    return out;
}

void RecordStoreWriter::sync() {
    impl_->flush();
    if (::fsync(impl_->fd) != 0) {
        throw IndexError(system_error("cannot sync the record file", impl_->path) +
                         "; check that the disk has free space");
    }
    impl_->synced = impl_->written;
}

void RecordStoreWriter::rollback() {
    impl_->buffer.clear();
    if (impl_->written > impl_->synced) {
        if (::ftruncate(impl_->fd, static_cast<off_t>(impl_->synced)) != 0)
            throw IndexError(system_error("cannot truncate the record file", impl_->path));
        impl_->written = impl_->synced;
    }
}

std::uint32_t RecordStoreWriter::segment() const {
    return impl_->segment;
}

const std::string& RecordStoreWriter::path() const {
    return impl_->path;
}

// ---------------------------------------------------------------- reader

namespace {

/// One segment file, held open from when the reader was made (so that a rebuild, which puts other
/// files under the same names, does not change what this reader reads), and its read-only map.
struct Segment {
    int fd = -1;
    const char* data = nullptr;
    std::size_t size = 0;

    Segment() = default;
    Segment(const Segment&) = delete;
    Segment& operator=(const Segment&) = delete;
    ~Segment() {
        unmap();
        if (fd >= 0)
            ::close(fd);
    }
    void unmap() {
        if (data != nullptr)
            ::munmap(const_cast<char*>(data), size);
        data = nullptr;
        size = 0;
    }
};

} // namespace

struct RecordStoreReader::Impl {
    std::string folder;
    std::map<std::uint32_t, Segment> segments;

    /// Maps segment `n` (again, when it grew), so that it covers at least `needed` bytes if it can.
    const Segment& map(std::uint32_t n, std::uint64_t needed, std::string_view where) {
        Segment& m = segments[n];
        if (m.data != nullptr && m.size >= needed)
            return m;
        const std::string path = (fs::path(folder) / record_segment_name(n)).string();
        if (m.fd < 0) { // a segment made after this reader (a new index's first)
            m.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (m.fd < 0) {
                throw IndexError(std::string(where) + ": " +
                                 system_error("cannot open the record file", path) +
                                 rebuild_hint(folder));
            }
        }
        struct stat st {};
        if (::fstat(m.fd, &st) != 0) {
            throw IndexError(std::string(where) + ": " +
                             system_error("cannot read the record file", path));
        }
        if (st.st_size < static_cast<off_t>(kHeader.size()))
            check_header({}, path);
        void* p =
            ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, m.fd, 0);
        if (p == MAP_FAILED)
            throw IndexError(std::string(where) + ": " +
                             system_error("cannot map the record file", path));
        try {
            check_header(std::string_view(static_cast<const char*>(p), kHeader.size()), path);
        } catch (...) {
            ::munmap(p,
                     static_cast<std::size_t>(st.st_size)); // not kept: the next read checks again
            throw;
        }
        m.unmap();
        m.data = static_cast<const char*>(p);
        m.size = static_cast<std::size_t>(st.st_size);
        return m;
    }
};

RecordStoreReader::RecordStoreReader(std::string folder) : impl_(std::make_unique<Impl>()) {
    impl_->folder = std::move(folder);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(impl_->folder, ec)) {
        if (const auto n = segment_of(entry.path().filename().string())) {
            const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
            if (fd >= 0)
                impl_->segments[*n].fd = fd; // else reported by the first read that needs it
        }
    }
}
RecordStoreReader::RecordStoreReader(RecordStoreReader&&) noexcept = default;
RecordStoreReader& RecordStoreReader::operator=(RecordStoreReader&&) noexcept = default;
RecordStoreReader::~RecordStoreReader() = default;

std::string_view RecordStoreReader::read(std::string_view pointer_value,
                                         std::string_view where) const {
    const auto pointer = decode_record_pointer(pointer_value);
    if (!pointer) {
        throw IndexError(std::string(where) + " of index '" + impl_->folder +
                         "' has no valid stored-record pointer" + rebuild_hint(impl_->folder));
    }
    return read(*pointer, where);
}

std::string_view RecordStoreReader::read(const RecordPointer& pointer,
                                         std::string_view where) const {
    const std::uint64_t end = pointer.offset + pointer.length;
    const Segment& m = impl_->map(pointer.segment, end, where);
    if (pointer.offset < kHeader.size() || end > m.size || end < pointer.offset) {
        throw IndexError(std::string(where) + ": its stored record lies beyond the end of '" +
                         (fs::path(impl_->folder) / record_segment_name(pointer.segment)).string() +
                         "' (the file was truncated)" + rebuild_hint(impl_->folder));
    }
    return {m.data + pointer.offset, pointer.length};
}

} // namespace airm
