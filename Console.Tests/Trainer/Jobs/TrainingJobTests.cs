using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using VisionConsole.Domain.Operations;
using VisionConsole.Domain.Training;
using VisionConsole.Trainer.Jobs;
using Xunit.Abstractions;

namespace VisionConsole.Tests.Trainer.Jobs;

/// <summary>
/// The hosted trainer on small real data (40 hymenoptera images: 12 TRAIN + 8 VALIDATION per label): cancellation
/// in each phase, restart recovery, the feature cache, and resuming from a base model.
/// </summary>
public sealed class TrainingJobTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TrainingTimeout = TimeSpan.FromMinutes(4);

    [Theory]
    [InlineData(TrainingPhase.Embedding)]
    [InlineData(TrainingPhase.Training)]
    public async Task Cancel_DuringPhase_CancelledPromptlyNoModelAndNextTrainingWorks(TrainingPhase phase)
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "small", 12, 8);

        // Hold the job inside the phase (the notifier calls back on the training thread) until the cancel is sent.
        var reached = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        using var subscription = host.Get<IOperationNotifier>().Subscribe(update =>
        {
            var progress = update.Operation.TrainingProgress;
            var inPhase = phase == TrainingPhase.Embedding
                ? progress is { Phase: TrainingPhase.Embedding, ImagesDone: > 0 }
                : progress is { Phase: TrainingPhase.Training, Epoch: > 0 };
            if (inPhase && reached.TrySetResult(update.Operation.Id))
            {
                release.Wait(TimeSpan.FromSeconds(30));
            }
        });

        var operationId = await host.StartTrainingAsync(datasetId, "mobile-low-latency-1");
        Assert.Equal(operationId, await reached.Task.WaitAsync(TrainingTimeout));
        var cancel = await host.Client.PostAsync($"{TrainingHost.Api}/operations/{operationId}:cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var clock = Stopwatch.StartNew();
        release.Set();
        var operation = await host.WaitDoneAsync(operationId, TimeSpan.FromSeconds(30));
        output.WriteLine($"Cancelled during {phase}: done after {clock.ElapsedMilliseconds} ms");

        Assert.True(operation.GetProperty("done").GetBoolean(), $"Not cancelled within 30 s: {operation}");
        Assert.Equal("CANCELLED", TrainingHost.State(operation));
        Assert.Equal(1, operation.GetProperty("error").GetProperty("code").GetInt32());
        await using (var db = host.OpenContext())
        {
            Assert.Equal(0, await db.Models.CountAsync());
            Assert.Equal(0, await db.ModelVersions.CountAsync());
            Assert.Equal(0, await db.Evaluations.CountAsync());
            Assert.Equal("cancelled", (await db.Operations.SingleAsync(o => o.Id == operationId)).StopReason);
        }
        Assert.Empty(host.ModelFiles());

        // The next training on the same dataset works.
        var next = await host.StartTrainingAsync(datasetId, "mobile-low-latency-1");
        var done = await host.WaitDoneAsync(next, TrainingTimeout);
        Assert.Equal("SUCCEEDED", TrainingHost.State(done));
        TrainingHost.ModelIdOf(done);
        await using (var db = host.OpenContext())
        {
            Assert.Equal(1, await db.Models.CountAsync());
        }
    }

    [Fact]
    public async Task Restart_RunningAndQueuedOperationsInDatabase_RunningFailsInterruptedQueuedRuns()
    {
        var folder = Domain.TestDatabase.NewFolder();
        try
        {
            long running, queued, cancelling;
            long datasetId;
            await using (var first = TrainingHost.StartOn(folder))
            {
                datasetId = await TrainingHost.ImportHymenopteraAsync(first.Services, "small", 12, 8);
            }
            {
                // Rows as a process that died would leave them, written while no trainer runs.
                var options = new DbContextOptionsBuilder<VisionConsole.Domain.Storage.ConsoleDbContext>();
                VisionConsole.Domain.Storage.ConsoleDatabase.Configure(options, Path.Combine(folder, "console.db"), TimeSpan.FromSeconds(30));
                await using var db = new VisionConsole.Domain.Storage.ConsoleDbContext(options.Options);
                var request = new TrainingRequest("after restart", datasetId, "mobile-low-latency-1");
                var now = DateTimeOffset.UtcNow;
                var r = new Operation(request, datasetId, "tester", now.AddMinutes(-3));
                var c = new Operation(request, datasetId, "tester", now.AddMinutes(-2));
                var q = new Operation(request, datasetId, "tester", now.AddMinutes(-1));
                db.Operations.AddRange(r, c, q);
                r.Start(now);
                c.Start(now);
                c.RequestCancel(now);
                await db.SaveChangesAsync();
                (running, cancelling, queued) = (r.Id, c.Id, q.Id);
            }

            await using var second = TrainingHost.StartOn(folder);
            var interrupted = await second.WaitDoneAsync(running, TimeSpan.FromSeconds(30));
            Assert.Equal("FAILED", TrainingHost.State(interrupted));
            var message = interrupted.GetProperty("error").GetProperty("message").GetString()!;
            Assert.StartsWith("interrupted", message, StringComparison.Ordinal);
            Assert.Equal(10, interrupted.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal("CANCELLED", TrainingHost.State(await second.WaitDoneAsync(cancelling, TimeSpan.FromSeconds(30))));
            var ran = await second.WaitDoneAsync(queued, TrainingTimeout);
            Assert.Equal("SUCCEEDED", TrainingHost.State(ran));
            TrainingHost.ModelIdOf(ran);
        }
        finally
        {
            Domain.TestDatabase.DeleteFolder(folder);
        }
    }

    [Fact]
    public async Task Train_Succeeds_LastLiveUpdateIsSucceededWithTheModel()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "small", 12, 8);
        var updates = new System.Collections.Concurrent.ConcurrentQueue<OperationUpdate>();
        using var subscription = host.Get<IOperationNotifier>().Subscribe(updates.Enqueue);

        var operationId = await host.StartTrainingAsync(datasetId, "mobile-low-latency-1");
        var done = await host.WaitDoneAsync(operationId, TrainingTimeout);
        Assert.Equal("SUCCEEDED", TrainingHost.State(done));

        // Live pages learn the outcome from the notifier alone: the final update must carry it. The row is committed
        // (and so "done" over the API) a moment before the trainer publishes, so wait for that update to arrive.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!updates.Any(u => u.Operation.Id == operationId && u.Operation.Done) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
        var last = updates.Where(u => u.Operation.Id == operationId).Last().Operation;
        Assert.Equal(OperationState.Succeeded, last.State);
        Assert.NotNull(last.ResultModelId);
        Assert.Equal(TrainingHost.ModelIdOf(done), last.ResultModelId!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The closing line is for people: a percentage, the held-out count and why it stopped, no internal words.
        Assert.Matches(@"^Finished: [0-9.]+% of [0-9]+ held-out images get the right top label; it (stopped|ran) [a-z ]+\.$", last.TrainingProgress!.Message);
    }

    [Fact]
    public async Task Train_SecondTimeOnSameDataset_ComputesNoEmbeddings()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "small", 12, 8);
        var cache = host.Get<FeatureCache>();

        var first = await host.WaitDoneAsync(await host.StartTrainingAsync(datasetId, "mobile-versatile-1"), TrainingTimeout);
        Assert.Equal("SUCCEEDED", TrainingHost.State(first));
        var writesAfterFirst = cache.WriteCount;
        var firstProgress = first.GetProperty("metadata").GetProperty("progress");
        // 24 TRAIN images x 7 views + 16 VALIDATION images x 1 view.
        Assert.Equal(24 * 7 + 16, firstProgress.GetProperty("embeddingsComputed").GetInt32());
        Assert.Equal(24 * 7 + 16, writesAfterFirst);

        var second = await host.WaitDoneAsync(await host.StartTrainingAsync(datasetId, "mobile-versatile-1"), TrainingTimeout);
        Assert.Equal("SUCCEEDED", TrainingHost.State(second));
        var secondProgress = second.GetProperty("metadata").GetProperty("progress");
        Assert.Equal(0, secondProgress.GetProperty("embeddingsComputed").GetInt32());
        Assert.Equal(24 * 7 + 16, secondProgress.GetProperty("embeddingsCached").GetInt32());
        Assert.Equal(writesAfterFirst, cache.WriteCount);
        output.WriteLine($"first: {firstProgress.GetProperty("elapsedSeconds").GetDouble():0.00} s, second (cached): {secondProgress.GetProperty("elapsedSeconds").GetDouble():0.00} s");
    }

    [Fact]
    public async Task StartTraining_BaseModelWithOtherLabelSet_RefusedClearly_SameSetAccepted()
    {
        await using var host = TrainingHost.Start();
        var datasetId = await TrainingHost.ImportHymenopteraAsync(host.Services, "small", 12, 8);
        var baseOperation = await host.WaitDoneAsync(await host.StartTrainingAsync(datasetId, "mobile-low-latency-1"), TrainingTimeout);
        var baseModelId = TrainingHost.ModelIdOf(baseOperation);

        var otherDataset = await TrainingHost.ImportHymenopteraAsync(host.Services, "three labels", 12, 8, ["ants", "bees", "wasps"]);
        var refused = await host.PostModelAsync(otherDataset, "mobile-low-latency-1", baseModelId, "resumed");
        var body = await refused.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("label-set-mismatch", body, StringComparison.Ordinal);
        Assert.Contains("[ants, bees]", body, StringComparison.Ordinal);
        Assert.Contains("[ants, bees, wasps]", body, StringComparison.Ordinal);

        var accepted = await host.StartTrainingAsync(datasetId, "mobile-low-latency-1", baseModelId, "resumed");
        var resumed = await host.WaitDoneAsync(accepted, TrainingTimeout);
        Assert.Equal("SUCCEEDED", TrainingHost.State(resumed));
        Assert.NotEqual(baseModelId, TrainingHost.ModelIdOf(resumed));
        var model = await host.Client.GetStringAsync($"{TrainingHost.Api}/models/{TrainingHost.ModelIdOf(resumed)}");
        Assert.Contains($"\"baseModelId\":\"{baseModelId}\"", model, StringComparison.Ordinal);
    }
}
