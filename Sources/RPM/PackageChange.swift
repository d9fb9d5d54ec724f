import Foundation

/// One difference between the package sets of two trees.
public enum PackageChange: Sendable, Equatable {
    case added(InstalledPackage)
    case removed(InstalledPackage)
    case changed(from: InstalledPackage, to: InstalledPackage)

    /// The package's name.
    public var name: String {
        switch self {
        case .added(let package), .removed(let package): package.name
        case .changed(let from, _): from.name
        }
    }

    /// In words, for a report: `added foo 1.0-1`, `removed foo 1.0-1`, `foo 1.0-1 → 2.0-1`.
    public var summary: String {
        switch self {
        case .added(let package): "added \(package.name) \(package.evr)"
        case .removed(let package): "removed \(package.name) \(package.evr)"
        case .changed(let from, let to): "\(from.name) \(from.evr) → \(to.evr)"
        }
    }

    /// As a line of a package diff, as `rpm-ostree db diff` lists them: `+ name-evr.arch`,
    /// `- name-evr.arch`, `~ old-nevra -> new-nevra`.
    public var diffLine: String {
        switch self {
        case .added(let package): "+ \(package.nevra)"
        case .removed(let package): "- \(package.nevra)"
        case .changed(let from, let to): "~ \(from.nevra) -> \(to.nevra)"
        }
    }

    /// The changes from `old` to `new`, by package name.
    public static func between(_ old: [InstalledPackage], _ new: [InstalledPackage]) -> [PackageChange] {
        let before = Dictionary(old.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var changes: [PackageChange] = []
        for name in Set(before.keys).union(after.keys).sorted() {
            switch (before[name], after[name]) {
            case (nil, let added?): changes.append(.added(added))
            case (let removed?, nil): changes.append(.removed(removed))
            case (let from?, let to?) where from != to: changes.append(.changed(from: from, to: to))
            default: break
            }
        }
        return changes
    }
}
