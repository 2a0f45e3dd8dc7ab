using System.Reflection;
using Microsoft.JSInterop;
using VisionConsole.Web.Components.Pages.Datasets;

namespace VisionConsole.Tests.Web.Components;

/// <summary>Leaving the dataset page while upload.js is still loading must not crash the circuit.</summary>
public sealed class ImageUploaderLifetimeTests
{
    [Fact]
    public async Task OnAfterRender_DisposedBeforeScriptLoaded_NoExceptionNothingAttachedModuleReleased()
    {
        var js = new SlowJSRuntime();
        var uploader = new TestableUploader(js);

        var starting = uploader.FirstRenderAsync();
        await uploader.DisposeAsync();
        js.Module.Loaded.SetResult();
        await starting;

        Assert.Empty(js.Module.Calls);
        Assert.True(js.Module.Disposed);
    }

    [Fact]
    public async Task OnAfterRender_DisposedWhileAttaching_UploaderDetachedNoException()
    {
        var js = new SlowJSRuntime();
        js.Module.Loaded.SetResult();
        js.Module.HoldAttach = true;
        var uploader = new TestableUploader(js);

        var starting = uploader.FirstRenderAsync();
        await uploader.DisposeAsync();
        js.Module.Attached.SetResult();
        await starting;

        Assert.Equal(["attach"], js.Module.Calls);
        Assert.Equal(["dispose"], js.Module.Uploader.Calls);
        Assert.True(js.Module.Disposed);
    }

    private sealed class TestableUploader : ImageUploader
    {
        public TestableUploader(IJSRuntime js) =>
            typeof(ImageUploader).GetProperty("JS", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(this, js);

        public Task FirstRenderAsync() => OnAfterRenderAsync(firstRender: true);
    }

    private sealed class SlowJSRuntime : IJSRuntime
    {
        public FakeModule Module { get; } = new();

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            Assert.Equal("import", identifier);
            await Module.Loaded.Task;
            return (TValue)(object)Module;
        }
    }

    private class FakeObject : IJSObjectReference
    {
        public List<string> Calls { get; } = [];

        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => InvokeAsync<TValue>(identifier, CancellationToken.None, args);

        public virtual ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            Calls.Add(identifier);
            return ValueTask.FromResult(default(TValue)!);
        }
    }

    private sealed class FakeModule : FakeObject
    {
        public TaskCompletionSource Loaded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Attached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool HoldAttach { get; set; }

        public FakeObject Uploader { get; } = new();

        public override async ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args)
        {
            Calls.Add(identifier);
            // A real runtime serializes the arguments: a disposed DotNetObjectReference throws here.
            foreach (var arg in args ?? [])
            {
                if (arg is DotNetObjectReference<ImageUploader> self)
                {
                    _ = self.Value;
                }
            }
            if (HoldAttach)
            {
                await Attached.Task;
            }
            return (TValue)(object)Uploader;
        }
    }
}
