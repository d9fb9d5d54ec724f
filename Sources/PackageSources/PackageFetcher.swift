import Foundation
import RepoFetch
import Solver
import ToolSupport
import TreeAssembly

/// Brings resolved packages into the package cache: a package whose exact file (by checksum)
/// was imported before is reused; the others are downloaded with librepo and imported.
public struct PackageFetcher {
    public let cache: PackageCache
    /// Downloads land in `packages/` below it until imported.
    public let cacheDirectory: String
    /// The repositories the packages were resolved from, by id.
    public let repositories: [String: RepoDefinition]

    public init(cache: PackageCache, cacheDirectory: String, repositories: [String: RepoDefinition]) {
        self.cache = cache
        self.cacheDirectory = cacheDirectory
        self.repositories = repositories
    }

    /// The cached packages for `resolved`, in the same order, and the NEVRAs that had to be
    /// imported.
    public func cachedPackages(for resolved: [ResolvedPackage]) throws -> (packages: [CachedPackage], imported: [String]) {
        var result: [String: CachedPackage] = [:]
        var missing: [ResolvedPackage] = []
        for package in resolved {
            let evr = (package.epoch > 0 ? "\(package.epoch):" : "") + "\(package.version)-\(package.release)"
            if package.checksumType == "sha256",
               let cached = try cache.lookup(name: package.name, evr: evr, arch: package.arch, fileSHA256: package.checksum) {
                result[package.nevra] = cached
            } else {
                missing.append(package)
            }
        }
        Console.progress("\(resolved.count - missing.count) packages cached, \(missing.count) to fetch and import")
        let downloadDirectory = cacheDirectory + "/packages"
        let downloads = try missing.map { package -> PackageDownload in
            guard let repository = repositories[package.repository] else {
                throw PackageSourceError("\(package.nevra): comes from unknown repository '\(package.repository)'")
            }
            return PackageDownload(name: package.nevra, baseURL: repository.baseURLs[0], location: package.location,
                                   checksumType: package.checksumType, checksum: package.checksum,
                                   size: package.downloadSize,
                                   destination: downloadDirectory + "/" + (package.location as NSString).lastPathComponent)
        }
        let totalBytes = missing.reduce(UInt64(0)) { $0 + $1.downloadSize }
        if !downloads.isEmpty {
            Console.progress("Downloading \(downloads.count) packages (\(ByteCount.format(totalBytes)))")
        }
        let downloaded = ProgressCounter(total: downloads.count, label: "Downloaded")
        do {
            try RepositoryDownloader.download(downloads) { name in downloaded.advance(name) }
        } catch let error as RepoFetchError {
            throw PackageSourceError("\(error)")
        }
        if !downloads.isEmpty {
            Console.progress("Importing \(downloads.count) packages into the package cache")
            let counter = ProgressCounter(total: downloads.count, label: "Imported")
            // librepo checked each file against the repository's checksum: reuse it.
            let files = zip(downloads, missing).map { download, package in
                (path: download.destination, sha256: package.checksumType == "sha256" ? package.checksum : nil)
            }
            let imported: [CachedPackage]
            do {
                imported = try cache.importPackages(files) { nevra in counter.advance(nevra) }
            } catch {
                throw PackageSourceError("\(error)")
            }
            for (package, cached) in zip(missing, imported) { result[package.nevra] = cached }
            for download in downloads { try? FileManager.default.removeItem(atPath: download.destination) }
        }
        return (resolved.map { result[$0.nevra]! }, missing.map(\.nevra))
    }
}
