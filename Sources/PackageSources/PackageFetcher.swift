import Foundation
import RPM
import RepoFetch
import Solver
import ToolSupport
import TreeAssembly

/// Brings resolved packages into the package cache: a package whose exact file (by checksum)
/// was imported before is reused; the others are imported, read in place from a local
/// repository or downloaded with librepo first.
///
/// Packages of a repository with `gpgcheck=1` must carry a valid signature by one of its
/// keys, checked by librpm before import, and again for a cached package (from the headers
/// kept with it), which may have come from a repository that checked nothing.
public struct PackageFetcher {
    public let cache: PackageCache
    /// Downloads land in `packages/` below it until imported.
    public let cacheDirectory: String
    /// The repositories the packages were resolved from, by id.
    public let repositories: [String: RepoDefinition]
    public let keys: RepositoryKeys

    public init(cache: PackageCache, cacheDirectory: String, repositories: [String: RepoDefinition], keys: RepositoryKeys) {
        self.cache = cache
        self.cacheDirectory = cacheDirectory
        self.repositories = repositories
        self.keys = keys
    }

    /// The cached packages for `resolved`, in the same order, and the NEVRAs that had to be
    /// imported.
    public func cachedPackages(for resolved: [ResolvedPackage]) throws -> (packages: [CachedPackage], imported: [String]) {
        var result: [String: CachedPackage] = [:]
        var missing: [ResolvedPackage] = []
        for package in resolved {
            let evr = (package.epoch > 0 ? "\(package.epoch):" : "") + "\(package.version)-\(package.release)"
            if package.checksumType == "sha256",
               let cached = try cache.lookup(name: package.name, evr: evr, arch: package.arch, fileSHA256: package.checksum),
               try cachedSignatureHolds(cached, of: package) {
                result[package.nevra] = cached
            } else {
                missing.append(package)
            }
        }
        Console.progress("\(resolved.count - missing.count) packages cached, \(missing.count) to fetch and import")
        // Each missing package as the import reads it: in place, or downloaded first.
        var files: [PackageCache.PackageFile] = []
        var downloads: [(download: PackageDownload, package: ResolvedPackage)] = []
        for package in missing {
            guard let repository = repositories[package.repository] else {
                throw PackageSourceError("\(package.nevra): comes from unknown repository '\(package.repository)'")
            }
            if let path = Self.pathInPlace(of: package, in: repository) {
                files.append(PackageCache.PackageFile(path: path, sha256: .expected(package.checksum)))
                continue
            }
            let download = PackageDownload(name: package.nevra, baseURL: repository.baseURLs[0], location: package.location,
                                           checksumType: package.checksumType, checksum: package.checksum,
                                           size: package.downloadSize,
                                           destination: cacheDirectory + "/packages/" + (package.location as NSString).lastPathComponent)
            downloads.append((download, package))
            // librepo checks each file against the repository's checksum: reuse it.
            files.append(PackageCache.PackageFile(path: download.destination,
                                                  sha256: package.checksumType == "sha256" ? .checked(package.checksum) : .unknown))
        }
        if !downloads.isEmpty {
            let totalBytes = downloads.reduce(UInt64(0)) { $0 + $1.package.downloadSize }
            Console.progress("Downloading \(downloads.count) packages (\(ByteCount.format(totalBytes)))")
        }
        // Downloads go once imported, or once anything failed.
        defer { for (download, _) in downloads { try? FileManager.default.removeItem(atPath: download.destination) } }
        let downloaded = ProgressCounter(total: downloads.count, label: "Downloaded")
        do {
            try RepositoryDownloader.download(downloads.map(\.download)) { name in downloaded.advance(name) }
        } catch let error as RepoFetchError {
            throw PackageSourceError("\(error)")
        }
        for (download, package) in downloads {
            try checkSignature(download.destination, of: package)
        }
        if !files.isEmpty {
            Console.progress("Importing \(files.count) packages into the package cache")
            let counter = ProgressCounter(total: files.count, label: "Imported")
            let imported: [CachedPackage]
            do {
                imported = try cache.importPackages(files) { nevra in counter.advance(nevra) }
            } catch {
                throw PackageSourceError("\(error)")
            }
            for (package, cached) in zip(missing, imported) { result[package.nevra] = cached }
        }
        return (resolved.map { result[$0.nevra]! }, missing.map(\.nevra))
    }

    /// Where a package is read in place, as dnf reads a local repository's packages: from a
    /// `file://` repository that checks no signatures (a signature is checked on a private
    /// copy, which no one changes between the check and the import), by a SHA-256 the import
    /// checks, at a location inside the repository. Nil: it is downloaded.
    static func pathInPlace(of package: ResolvedPackage, in repository: RepoDefinition) -> String? {
        let source = MetadataSource(baseURLs: repository.baseURLs, mirrorlist: repository.mirrorlist, metalink: repository.metalink)
        guard !repository.gpgCheck, package.checksumType == "sha256", let directory = source.localPath,
              !package.location.hasPrefix("/"), !package.location.split(separator: "/").contains("..") else { return nil }
        return directory + "/" + package.location
    }

    /// Whether a cached package may be used for `package`: always when its repository checks
    /// no signatures; otherwise when the headers kept with it carry a valid signature (a
    /// cache entry from before they were kept is fetched again instead). A bad one is an error.
    private func cachedSignatureHolds(_ cached: CachedPackage, of package: ResolvedPackage) throws -> Bool {
        guard repositories[package.repository]?.gpgCheck == true else { return true }
        guard let headers = try cache.signedHeaders(commit: cached.commit) else { return false }
        let scratch = try TemporaryDirectory(prefix: "harness-signature-")
        defer { scratch.remove() }
        let path = scratch.path + "/" + package.nevra + ".rpm"
        try Data(headers).write(to: URL(fileURLWithPath: path))
        try checkSignature(path, of: package)
        return true
    }

    /// Refuses the package file at `path` unless its repository checks no signatures or it is
    /// signed by one of the repository's keys.
    private func checkSignature(_ path: String, of package: ResolvedPackage) throws {
        guard let repository = repositories[package.repository], repository.gpgCheck else { return }
        let keyring = try keys.keyring(of: repository)
        let check: SignatureCheck
        do {
            check = try PackageSignature.check(path, keyring: keyring)
        } catch {
            throw PackageSourceError("\(package.nevra) from repository '\(repository.id)': \(error)", kind: .signature)
        }
        let known = "the keys of \(repository.gpgKeys.joined(separator: ", ")): \(keyring.keyIDs.joined(separator: ", "))"
        let reason: String
        switch check {
        case .valid: return
        case .unsigned: reason = "is not signed, and repository '\(repository.id)' requires signatures (gpgcheck=1)"
        case .unknownKey(let id): reason = "is signed with key \(id), which is not among \(known)"
        case .bad(let id): reason = "has a signature" + (id.map { " by key \($0)" } ?? "") + " that does not verify"
        }
        throw PackageSourceError("\(package.nevra) from \(repository.file): \(reason)", kind: .signature)
    }
}
