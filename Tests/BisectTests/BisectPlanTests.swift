@testable import Bisect
import RPM
import Testing

/// Ordering the changes between two package sets so that every prefix holds together.
@Suite struct BisectPlanTests {
    private func package(_ nevra: String) -> InstalledPackage { InstalledPackage(nevra: nevra)! }

    /// A stand-in for the solver: `requirements[name]` lists, for a package at a version,
    /// the NEVRAs that must be in the set with it.
    private func problem(_ requirements: [String: [String]]) -> ([InstalledPackage]) -> String? {
        { set in
            let nevras = Set(set.map(\.nevra))
            for package in set {
                for needed in requirements[package.nevra] ?? [] where !nevras.contains(needed) {
                    return "\(package.nevra) needs \(needed)"
                }
            }
            return nil
        }
    }

    @Test func independentChangesGoOneAtATimeInNameOrder() throws {
        let good = ["a-1-1.noarch", "b-1-1.noarch", "c-1-1.noarch"].map(package)
        let bad = ["a-2-1.noarch", "c-1-1.noarch", "d-1-1.noarch"].map(package)
        let plan = try BisectPlan(good: good, bad: bad, problem: problem([:]))
        #expect(plan.steps.map { $0.map(\.summary) } == [["a 1-1 → 2-1"], ["removed b 1-1"], ["added d 1-1"]])
        #expect(plan.packages(afterStep: 0) == good.sorted())
        #expect(plan.packages(afterStep: 3) == bad.sorted())
        #expect(plan.packages(afterStep: 1).map(\.nevra) == ["a-2-1.noarch", "b-1-1.noarch", "c-1-1.noarch"])
    }

    /// `added a` needs `z` upgraded first, although it comes before it by name.
    @Test func aChangeWaitsForTheChangeItNeeds() throws {
        let good = ["z-1-1.noarch"].map(package)
        let bad = ["a-1-1.noarch", "z-2-1.noarch"].map(package)
        let plan = try BisectPlan(good: good, bad: bad, problem: problem(["a-1-1.noarch": ["z-2-1.noarch"]]))
        #expect(plan.steps.map { $0.map(\.summary) } == [["z 1-1 → 2-1"], ["added a 1-1"]])
    }

    /// Two changes that need each other go in one step; the change that needs neither stays
    /// on its own.
    @Test func changesThatNeedEachOtherShareAStep() throws {
        let good = ["lib-1-1.noarch", "app-1-1.noarch", "doc-1-1.noarch"].map(package)
        let bad = ["lib-2-1.noarch", "app-2-1.noarch", "doc-2-1.noarch"].map(package)
        let plan = try BisectPlan(good: good, bad: bad, problem: problem([
            "app-2-1.noarch": ["lib-2-1.noarch"],
            "app-1-1.noarch": ["lib-1-1.noarch"],
        ]))
        #expect(plan.steps.map { $0.map(\.summary) } == [["doc 1-1 → 2-1"], ["app 1-1 → 2-1", "lib 1-1 → 2-1"]])
        for step in 0...plan.steps.count {
            #expect(problem(["app-2-1.noarch": ["lib-2-1.noarch"], "app-1-1.noarch": ["lib-1-1.noarch"]])(plan.packages(afterStep: step)) == nil)
        }
    }

    @Test func aBadSetThatDoesNotHoldIsAnError() throws {
        let good = ["a-1-1.noarch"].map(package)
        let bad = ["a-2-1.noarch"].map(package)
        #expect(throws: BisectError.self) {
            try BisectPlan(good: good, bad: bad, problem: problem(["a-2-1.noarch": ["missing-1-1.noarch"]]))
        }
    }

    @Test func identicalSetsHaveNoSteps() throws {
        let set = ["a-1-1.noarch"].map(package)
        #expect(try BisectPlan(good: set, bad: set, problem: problem([:])).steps.isEmpty)
    }
}
