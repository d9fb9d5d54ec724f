import CLibRepo
import Foundation
import GLib
import ToolSupport

/// Where an rpm-md repository's metadata landed.
public struct FetchedMetadata: Sendable {
    public var repomd: String
    public var primary: String
    public var filelists: String?
    /// SHA-256 of repomd.xml: changes whenever the repository does.
    public var revision: String
    /// The base URLs packages come from: the repository's own, or those its mirror list or
    /// metalink named.
    public var mirrors: [String] = []
    /// Whether the metadata came from the cache, fresh enough not to be fetched again.
    public var fromCache = false
}

/// Where a repository's metadata is: base URLs, a mirror list or a metalink (dnf's keys).
public struct MetadataSource: Sendable, Hashable, Codable {
    public var baseURLs: [String]
    public var mirrorlist: String?
    public var metalink: String?

    public init(baseURLs: [String], mirrorlist: String? = nil, metalink: String? = nil) {
        self.baseURLs = baseURLs
        self.mirrorlist = mirrorlist
        self.metalink = metalink
    }

    /// How the source is named in errors: the first URL of the three kinds.
    var displayName: String { baseURLs.first ?? mirrorlist ?? metalink ?? "(no URL)" }
    /// A repository read in place: a `file://` or plain path base URL.
    public var localPath: String? {
        guard mirrorlist == nil, metalink == nil, let first = baseURLs.first, first.hasPrefix("file://") || first.hasPrefix("/") else {
            return nil
        }
        return first.hasPrefix("file://") ? String(first.dropFirst("file://".count)) : first
    }
}

/// What `fetchMetadata` records beside a remote repository's cached metadata: what it was
/// fetched from (a changed `.repo` or key fetches again) and when.
struct MetadataStamp: Codable {
    var source: MetadataSource
    var keys: String
    var fetched: Date
    var mirrors: [String]

    static let fileName = "harness-metadata.json"
}

/// One package to download: where it lives in its repository and what it must hash to.
public struct PackageDownload: Sendable {
    public var name: String
    public var baseURL: String
    public var location: String
    public var checksumType: String
    public var checksum: String
    public var size: UInt64
    public var destination: String

    public init(name: String, baseURL: String, location: String, checksumType: String,
                checksum: String, size: UInt64, destination: String) {
        self.name = name
        self.baseURL = baseURL
        self.location = location
        self.checksumType = checksumType
        self.checksum = checksum
        self.size = size
        self.destination = destination
    }
}

/// Fetches rpm-md metadata and packages with librepo, over `file://`, `http://` and `https://`.
public enum RepositoryDownloader {
    /// Fetches `repomd.xml`, primary and filelists of the repository at `source`. Local
    /// `file://` repositories are read in place; remote ones are copied into
    /// `cacheDirectory/repos/ID` and read from there again while younger than `maxAge` (nil:
    /// forever), as dnf's `metadata_expire`. A failed fetch is tried again twice (after 1 s,
    /// then 2 s); the error names the URL.
    ///
    /// With `signingKeys` (ASCII-armored OpenPGP keys), `repomd.xml` must carry a detached
    /// signature (`repomd.xml.asc`) made by one of them, as dnf's `repo_gpgcheck=1` demands.
    public static func fetchMetadata(id: String, source: MetadataSource, cacheDirectory: String,
                                     signingKeys: [String]? = nil, maxAge: TimeInterval? = 0,
                                     now: Date = Date()) throws -> FetchedMetadata {
        if let path = source.localPath {
            var fetched = try perform(id: id, source: source, into: nil, local: path, signingKeys: signingKeys)
            fetched.mirrors = source.baseURLs
            return fetched
        }
        let final = cacheDirectory + "/repos/" + id
        let keys = Digest.sha256((signingKeys ?? []).joined(separator: "\n"))
        if let stamp = try? JSONDecoder().decode(MetadataStamp.self, from: Data(contentsOf: URL(fileURLWithPath: final + "/" + MetadataStamp.fileName))),
           stamp.source == source, stamp.keys == keys, let age = Optional(now.timeIntervalSince(stamp.fetched)), age >= 0,
           maxAge.map({ age < $0 }) ?? true,
           var fetched = try? perform(id: id, source: source, into: nil, local: final, signingKeys: nil) {
            Console.progress(String(format: "Metadata of '%@' fetched %.0f s ago, within its metadata_expire: not fetched again", id, age))
            fetched.mirrors = stamp.mirrors
            fetched.fromCache = true
            return fetched
        }
        let target = final + ".partial"
        var attempt = 1
        var fetched: FetchedMetadata
        while true {
            FileTree.removeRecursively(target)
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            do {
                fetched = try perform(id: id, source: source, into: target, local: nil, signingKeys: signingKeys)
                break
            } catch let error as RepoFetchError where attempt < 3 && !error.isAboutSignature {
                Console.warning("\(error) (attempt \(attempt) of 3; trying again in \(attempt) s)")
                Thread.sleep(forTimeInterval: TimeInterval(attempt))
                attempt += 1
            }
        }
        let stamp = MetadataStamp(source: source, keys: keys, fetched: now, mirrors: fetched.mirrors)
        try JSONEncoder().encode(stamp).write(to: URL(fileURLWithPath: target + "/" + MetadataStamp.fileName))
        // Swap the complete download into place so a failed fetch never leaves half a cache.
        FileTree.removeRecursively(final)
        try FileManager.default.moveItem(atPath: target, toPath: final)
        fetched.repomd = fetched.repomd.replacingOccurrences(of: target, with: final)
        fetched.primary = fetched.primary.replacingOccurrences(of: target, with: final)
        fetched.filelists = fetched.filelists?.replacingOccurrences(of: target, with: final)
        return fetched
    }

    /// One librepo run: the repository read at `local` in place, or downloaded from `source`
    /// into `destination`.
    private static func perform(id: String, source: MetadataSource, into destination: String?, local: String?,
                                signingKeys: [String]?) throws -> FetchedMetadata {
        let handle = lr_handle_init()!
        defer { lr_handle_free(handle) }
        var error: UnsafeMutablePointer<GError>? = nil
        var ok = harness_lr_set_long(handle, &error, LRO_REPOTYPE, Int(LR_YUMREPO.rawValue)) != 0
        // librepo checks the signature with GnuPG: the keys go into a keyring of their own.
        let gnupgHome = try signingKeys.map { _ in try TemporaryDirectory(prefix: "harness-gnupg-") }
        defer { gnupgHome?.remove() }
        if let signingKeys, let gnupgHome {
            for (index, key) in signingKeys.enumerated() {
                let keyFile = gnupgHome.path + "/key-\(index).asc"
                try key.write(toFile: keyFile, atomically: true, encoding: .utf8)
                guard lr_gpg_import_key(keyFile, gnupgHome.path, &error) != 0 else {
                    var failure = GLibError.take(&error)
                    failure.message = "cannot import its gpgkey: " + failure.message
                    throw RepoFetchError(id, .signature(failure))
                }
            }
            ok = ok && harness_lr_set_long(handle, &error, LRO_GPGCHECK, 1) != 0
            ok = ok && harness_lr_set_string(handle, &error, LRO_GNUPGHOMEDIR, gnupgHome.path) != 0
        }
        if let local {
            ok = ok && withCStrings([local]) { harness_lr_set_strings(handle, &error, LRO_URLS, $0) } != 0
            ok = ok && harness_lr_set_long(handle, &error, LRO_LOCAL, 1) != 0
        } else if let destination {
            if !source.baseURLs.isEmpty {
                ok = ok && withCStrings(source.baseURLs) { harness_lr_set_strings(handle, &error, LRO_URLS, $0) } != 0
            }
            if let mirrorlist = source.mirrorlist {
                ok = ok && harness_lr_set_string(handle, &error, LRO_MIRRORLISTURL, mirrorlist) != 0
            }
            if let metalink = source.metalink {
                ok = ok && harness_lr_set_string(handle, &error, LRO_METALINKURL, metalink) != 0
            }
            ok = ok && harness_lr_set_string(handle, &error, LRO_DESTDIR, destination) != 0
        }
        ok = ok && withCStrings(["primary", "filelists"]) { harness_lr_set_strings(handle, &error, LRO_YUMDLIST, $0) } != 0
        ok = ok && harness_lr_set_long(handle, &error, LRO_CHECKSUM, 1) != 0
        guard ok else { throw RepoFetchError(id, consume(&error)) }

        let result = lr_result_init()!
        defer { lr_result_free(result) }
        guard lr_handle_perform(handle, result, &error) != 0 else {
            let failure = GLibError.take(&error, fallback: "unknown librepo error")
            let subject = "repository '\(id)' (\(local ?? source.displayName))"
            throw RepoFetchError(subject, signingKeys != nil && isAboutSignature(failure) ? .signature(failure) : .library(failure))
        }
        var repo: UnsafeMutablePointer<LrYumRepo>? = nil
        guard harness_lr_get_yum_repo(result, &error, &repo) != 0, let repo else {
            throw RepoFetchError(id, consume(&error))
        }
        var fetched = FetchedMetadata(
            repomd: String(cString: repo.pointee.repomd),
            primary: lr_yum_repo_path(repo, "primary").map { String(cString: $0) } ?? "",
            filelists: lr_yum_repo_path(repo, "filelists").map { String(cString: $0) },
            revision: "")
        guard !fetched.primary.isEmpty else { throw RepoFetchError(id, .noPrimaryMetadata) }
        fetched.revision = try Digest.sha256(file: fetched.repomd)
        if destination != nil {
            var mirrors: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = nil
            if harness_lr_get_mirrors(handle, &error, &mirrors) != 0, let mirrors {
                var index = 0
                while let mirror = mirrors[index] {
                    fetched.mirrors.append(String(cString: mirror))
                    index += 1
                }
                g_strfreev(mirrors)
            } else {
                g_clear_error(&error)
            }
            if fetched.mirrors.isEmpty { fetched.mirrors = source.baseURLs }
        }
        return fetched
    }

    /// The content of one file at `url` (`http(s)://` or `file://`), at most `limit` bytes: a
    /// repository's `gpgkey`.
    public static func fetchFile(_ url: String, limit: Int) throws -> [UInt8] {
        let scratch = try TemporaryDirectory(prefix: "harness-download-")
        defer { scratch.remove() }
        let path = scratch.path + "/file"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemCallError("create", path: path) }
        defer { close(fd) }
        let handle = lr_handle_init()!
        defer { lr_handle_free(handle) }
        var error: UnsafeMutablePointer<GError>? = nil
        guard lr_download_url(handle, url, fd, &error) != 0 else {
            throw RepoFetchError(url, consume(&error))
        }
        guard let handleForReading = FileHandle(forReadingAtPath: path),
              let data = try handleForReading.read(upToCount: limit + 1) else { return [] }
        try? handleForReading.close()
        guard data.count <= limit else { throw RepoFetchError(url, .tooLarge(limit: limit)) }
        return [UInt8](data)
    }

    /// Downloads packages into their destinations, verifying each against its checksum;
    /// a file already there with the right checksum is not fetched again.
    /// - Parameter progress: called with each finished package's name.
    public static func download(_ packages: [PackageDownload], progress: (String) -> Void) throws {
        guard !packages.isEmpty else { return }
        let handle = lr_handle_init()!
        defer { lr_handle_free(handle) }
        var error: UnsafeMutablePointer<GError>? = nil
        guard harness_lr_set_long(handle, &error, LRO_REPOTYPE, Int(LR_YUMREPO.rawValue)) != 0 else {
            throw RepoFetchError("librepo", consume(&error))
        }
        var targets: UnsafeMutablePointer<GSList>? = nil
        defer { g_slist_free_full(targets) { lr_packagetarget_free($0?.assumingMemoryBound(to: LrPackageTarget.self)) } }
        for package in packages {
            try FileManager.default.createDirectory(
                atPath: (package.destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard let target = lr_packagetarget_new_v2(
                handle, package.location, package.destination, lr_checksum_type(package.checksumType),
                package.checksum, gint64(package.size), package.baseURL, 0, nil, nil, nil, nil, &error) else {
                throw RepoFetchError(package.name, consume(&error))
            }
            targets = g_slist_append(targets, target)
        }
        let ok = lr_download_packages(targets, LR_PACKAGEDOWNLOAD_FAILFAST, &error) != 0
        var node = targets
        var failures: [String] = []
        var index = 0
        while let current = node {
            let target = current.pointee.data.assumingMemoryBound(to: LrPackageTarget.self)
            if let message = target.pointee.err {
                failures.append("\(packages[index].name) from \(packages[index].baseURL): \(String(cString: message))")
            } else {
                progress(packages[index].name)
            }
            node = current.pointee.next
            index += 1
        }
        if let first = failures.first { throw RepoFetchError("downloading \(failures.count) package(s)", .packageDownload(first)) }
        guard ok else { throw RepoFetchError("downloading packages", consume(&error)) }
    }

    /// librepo's failure as a library error.
    static func consume(_ error: inout UnsafeMutablePointer<GError>?) -> RepoFetchError.Kind {
        .library(GLibError.take(&error, fallback: "unknown librepo error"))
    }

    /// Whether librepo failed on a signature, by its error code: a GnuPG error, a bad
    /// signature, or `repomd.xml.asc` missing when the repository is checked (LRE_BADGPG).
    static func isAboutSignature(_ error: GLibError) -> Bool {
        let gpgCodes = [LRE_GPGNOTSUPPORTED, LRE_GPGERROR, LRE_BADGPG].map { Int32($0.rawValue) }
        return gpgCodes.contains(error.code)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}
