import Foundation
import OSTree
import ToolSupport
import TreeAssembly

/// Keeps the package cache from growing with every compose. A compose leaves its tree in the
/// cache, held there by its `AssemblyRecord` for the next compose of the same ref to build on.
/// The files packages shipped are the packages' own objects; the rest (the rpmdb, what
/// scriptlets and postprocessing wrote, the directories) are the tree's: 52 MiB a compose at
/// 2,000 packages, nearly all of it the rpmdb.
///
/// A record is of use while a ref it names still points at its commit. Once
/// `threshold` records are of no use they go, and with them every object no ref reaches one
/// parent deep (as `ostree prune --refs-only --depth=1` does): the trees they held, and the
/// commits a compose pulled in as its base. Package commits stay: pinned composes and
/// bisection take their packages from the cache.
enum ComposedTreeRetention {
    /// How many records of no use make a prune. A prune reads every object in the cache
    /// (2.4 to 2.6 s at 2,000 packages, where a warm incremental compose takes 5): once in
    /// four composes of a ref it costs each compose 0.6 s, and the cache holds three trees of
    /// no use at most between composes.
    static let threshold = 4

    /// How a record names the repository a commit went to: its path, symbolic links resolved.
    static func identity(of repository: OSTreeRepository) -> String {
        URL(fileURLWithPath: repository.path).resolvingSymlinksInPath().path
    }

    /// Prunes the cache once `threshold` records are of no use. `target` is the repository the
    /// compose wrote to. A failure is a warning: the compose's commit is written by then.
    static func prune(_ cache: PackageCache, target: OSTreeRepository) {
        do {
            let stale = staleRecords(in: try cache.repository.refs(prefix: AssemblyRecord.refPrefix).keys, of: cache, target: target)
            guard stale.count >= threshold else { return }
            Console.progress("Pruning the package cache of \(stale.count) composed trees no compose builds on")
            for commit in stale { try cache.repository.setRefImmediately(AssemblyRecord.ref(for: commit), to: nil) }
            let pruned = try cache.repository.prune(depth: 1)
            Console.progress("Pruned \(pruned) objects from the package cache")
        } catch {
            Console.warning("the package cache \(cache.repository.path) was not pruned: \(error)")
        }
    }

    /// The composed commits, among those the record refs `names` name, whose records are of
    /// no use: each ref they name moved on or is gone (or its repository is), or the record is
    /// unreadable or does not say where its commit went.
    static func staleRecords(in names: some Sequence<String>, of cache: PackageCache, target: OSTreeRepository) -> [String] {
        var repositories: [String: OSTreeRepository] = [identity(of: target): target]
        var stale: [String] = []
        // Listed with or without the prefix: the commit is the last component either way.
        for commit in names.map({ String($0.split(separator: "/").last ?? "") }).sorted() {
            let places = (try? AssemblyRecord(of: commit, in: cache))??.places ?? []
            let inUse = places.contains { place in
                if repositories[place.repository] == nil, let opened = try? OSTreeRepository.open(at: place.repository) {
                    repositories[place.repository] = opened
                }
                return (try? repositories[place.repository]?.resolve(place.ref)) == commit
            }
            if !inUse { stale.append(commit) }
        }
        return stale
    }
}
