import RPM

/// The changes from `--good`'s package set to `--bad`'s, in an order that can be bisected:
/// every prefix of `steps`, applied to the good set, is a set the solver accepts (a change that
/// needs another, such as a new package requiring an upgraded library, comes after it, or in
/// one step with it when neither goes alone).
public struct BisectPlan: Sendable {
    public var good: [InstalledPackage]
    public var steps: [[PackageChange]]

    /// Orders `PackageChange.between(good, bad)` into steps; `problem` says what is wrong with
    /// a package set (nil when it holds together). Changes go one at a time where they can,
    /// in name order.
    public init(good: [InstalledPackage], bad: [InstalledPackage],
                problem: ([InstalledPackage]) throws -> String?) throws {
        self.good = good
        var current = good
        var remaining = PackageChange.between(good, bad)
        var steps: [[PackageChange]] = []
        while !remaining.isEmpty {
            if let alone = try remaining.firstIndex(where: { try problem(Self.apply([$0], to: current)) == nil }) {
                steps.append([remaining[alone]])
            } else {
                steps.append(try Self.smallestGroup(from: remaining, on: current, problem: problem))
            }
            current = Self.apply(steps[steps.count - 1], to: current)
            remaining.removeAll { steps[steps.count - 1].contains($0) }
        }
        self.steps = steps
    }

    /// A group of changes that goes together, grown from the first remaining one until the set
    /// holds, then trimmed of every member it holds without.
    private static func smallestGroup(from remaining: [PackageChange], on current: [InstalledPackage],
                                      problem: ([InstalledPackage]) throws -> String?) throws -> [PackageChange] {
        var group = [remaining[0]]
        var rest = remaining.dropFirst()
        var lastProblem = try problem(apply(group, to: current))
        while let why = lastProblem {
            guard let next = rest.popFirst() else { throw BisectError("--bad's own package set does not hold together: \(why)") }
            group.append(next)
            lastProblem = try problem(apply(group, to: current))
        }
        for member in group.dropFirst() {
            let smaller = group.filter { $0 != member }
            if try problem(apply(smaller, to: current)) == nil { group = smaller }
        }
        return group
    }

    /// The package set of candidate `step`: the good set with the first `step` steps applied
    /// (0 is `--good`'s set, `steps.count` `--bad`'s).
    public func packages(afterStep step: Int) -> [InstalledPackage] {
        Self.apply(steps.prefix(step).flatMap { $0 }, to: good)
    }

    static func apply(_ changes: [PackageChange], to packages: [InstalledPackage]) -> [InstalledPackage] {
        var byName = Dictionary(packages.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for change in changes {
            switch change {
            case .added(let package), .changed(_, let package): byName[package.name] = package
            case .removed(let package): byName[package.name] = nil
            }
        }
        return byName.values.sorted()
    }
}
