namespace Capgo.Edge.Core.Tests;

public class ProjectionStoreTests
{
    private static AppSnapshot App(long generation, string appId = Requests.AppId) => Doc.Standard().Set("app_id", appId).Snapshot(generation);

    [Fact]
    public void First_snapshot_is_installed()
    {
        var store = new ProjectionStore();
        Assert.Null(store.Find(Requests.AppId));
        var app = App(5);
        Assert.True(store.TryApply(app));
        Assert.Same(app, store.Find(Requests.AppId));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Newer_generation_replaces_older_and_equal_are_refused()
    {
        var store = new ProjectionStore();
        var g5 = App(5);
        var g6 = App(6);
        Assert.True(store.TryApply(g5));
        Assert.True(store.TryApply(g6));
        Assert.Same(g6, store.Find(Requests.AppId));

        Assert.False(store.TryApply(App(6)));
        Assert.False(store.TryApply(g5));
        Assert.False(store.TryApply(App(1)));
        Assert.Same(g6, store.Find(Requests.AppId));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Find_is_case_insensitive()
    {
        var store = new ProjectionStore();
        var app = App(1, "com.Demo.App");
        store.TryApply(app);
        Assert.Same(app, store.Find("com.demo.app"));
        Assert.Same(app, store.Find("COM.DEMO.APP"));
        Assert.Null(store.Find("com.demo.other"));
    }

    [Fact]
    public void Generations_compare_across_case_variants_of_the_app_id()
    {
        var store = new ProjectionStore();
        Assert.True(store.TryApply(App(2, "com.demo.app")));
        Assert.False(store.TryApply(App(1, "COM.DEMO.APP")));
        Assert.True(store.TryApply(App(3, "COM.DEMO.APP")));
        Assert.Equal(3, store.Find("com.demo.app")!.Generation);
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Apps_are_independent()
    {
        var store = new ProjectionStore();
        Assert.True(store.TryApply(App(10, "com.demo.a")));
        Assert.True(store.TryApply(App(1, "com.demo.b")));
        Assert.Equal(2, store.Count);
        Assert.Equal(2, store.Apps.Count);
        Assert.Equal(10, store.Find("com.demo.a")!.Generation);
        Assert.Equal(1, store.Find("com.demo.b")!.Generation);
    }

    [Fact]
    public void Remove_deletes_and_allows_any_generation_afterwards()
    {
        var store = new ProjectionStore();
        store.TryApply(App(7));
        Assert.True(store.Remove("COM.DEMO.APP"));
        Assert.Null(store.Find(Requests.AppId));
        Assert.Equal(0, store.Count);
        Assert.False(store.Remove(Requests.AppId));
        Assert.True(store.TryApply(App(3)));
        Assert.Equal(3, store.Find(Requests.AppId)!.Generation);
    }

    [Fact]
    public void Loaded_flag()
    {
        var store = new ProjectionStore();
        Assert.False(store.IsLoaded);
        store.MarkLoaded();
        Assert.True(store.IsLoaded);
    }

    [Fact]
    public void Null_snapshot_is_refused() =>
        Assert.Throws<ArgumentNullException>(() => new ProjectionStore().TryApply(null!));

    [Fact]
    public void Concurrent_publishes_keep_the_highest_generation()
    {
        var store = new ProjectionStore();
        var snapshots = Enumerable.Range(1, 200).Select(g => App(g)).ToArray();
        Parallel.ForEach(snapshots.Reverse().Concat(snapshots), s => store.TryApply(s));
        Assert.Equal(200, store.Find(Requests.AppId)!.Generation);
    }
}
