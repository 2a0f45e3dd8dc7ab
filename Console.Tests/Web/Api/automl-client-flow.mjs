// Google's own Cloud AutoML client (@google-cloud/automl 5.1.1, REST fallback) driven against the console:
// node automl-client-flow.mjs <port> <api key> <photos.zip> <photo.jpg>
// Prints one JSON object per line: {"step": ..., ...}; exits 1 on the first failure.
import { readFileSync } from 'node:fs';
import automl from '@google-cloud/automl';
import { OAuth2Client } from 'google-auth-library';
import { GoogleError } from 'google-gax';

const [port, key, zipPath, photoPath] = process.argv.slice(2);
// The API key goes as the bearer token, the way the library sends an OAuth access token.
const auth = new OAuth2Client();
auth.setCredentials({ access_token: key, expiry_date: Date.now() + 3600_000 });
const options = { fallback: true, apiEndpoint: '127.0.0.1', port: Number(port), protocol: 'http', authClient: auth };
const client = new automl.v1.AutoMlClient(options);
const prediction = new automl.v1.PredictionServiceClient(options);
const parent = client.locationPath('default', 'us-central1');
const print = (step, value) => console.log(JSON.stringify({ step, ...value }));

try {
  const [createOp] = await client.createDataset({ parent, dataset: { displayName: 'hymenoptera', imageClassificationDatasetMetadata: { classificationType: 'MULTICLASS' } } });
  const [dataset] = await createOp.promise();
  print('createDataset', { name: dataset.name, displayName: dataset.displayName, classificationType: dataset.imageClassificationDatasetMetadata?.classificationType });

  const [got] = await client.getDataset({ name: dataset.name });
  print('getDataset', { name: got.name, displayName: got.displayName });

  // The client's importData reads Cloud Storage; the console takes the photos as a multipart upload.
  const form = new FormData();
  form.append('file', new Blob([readFileSync(zipPath)], { type: 'application/zip' }), 'photos.zip');
  const upload = await (await fetch(`http://127.0.0.1:${port}/v1/${dataset.name}:importData`, { method: 'POST', body: form, headers: { Authorization: `Bearer ${key}` } })).json();
  const [importOp] = await client.operationsClient.getOperation({ name: upload.name });
  let imported = importOp;
  while (!imported.done) {
    await new Promise(r => setTimeout(r, 200));
    [imported] = await client.operationsClient.getOperation({ name: upload.name });
  }
  print('importData', { done: imported.done, error: imported.error?.message ?? null });

  const [listed] = await client.listDatasets({ parent });
  print('listDatasets', { names: listed.map(d => d.name), exampleCount: listed.find(d => d.name === dataset.name)?.exampleCount });

  // labelStats is the console's addition to the dataset resource: the ids of its annotation specs.
  const stats = (await (await fetch(`http://127.0.0.1:${port}/v1/${dataset.name}`, { headers: { Authorization: `Bearer ${key}` } })).json()).labelStats;
  const [spec] = await client.getAnnotationSpec({ name: `${dataset.name}/annotationSpecs/${stats.find(l => l.displayName === 'bees').labelId}` });
  print('getAnnotationSpec', { displayName: spec.displayName, exampleCount: spec.exampleCount });

  const [renamed] = await client.updateDataset({ dataset: { name: dataset.name, displayName: 'hymenoptera-renamed' }, updateMask: { paths: ['display_name'] } });
  print('updateDataset', { displayName: renamed.displayName });

  const [trainOp] = await client.createModel({ parent, model: { displayName: 'hymenoptera-model', datasetId: dataset.name.split('/').pop(), imageClassificationModelMetadata: { modelType: 'mobile-low-latency-1', trainBudgetMilliNodeHours: 100 } } });
  print('createModel', { operation: trainOp.name });
  const [model] = await trainOp.promise();
  print('trained', { name: model.name });

  const [ofDataset] = await client.listModels({ parent, filter: `dataset_id=${dataset.name.split('/').pop()}` });
  const [detectors] = await client.listModels({ parent, filter: 'image_object_detection_model_metadata:*' });
  print('listModels', { ofDataset: ofDataset.map(m => m.name), detectors: detectors.length });

  const [evaluations] = await client.listModelEvaluations({ parent: model.name, filter: '' });
  const overall = evaluations.find(e => !e.annotationSpecId);
  print('listModelEvaluations', { count: evaluations.length, auPrc: overall?.classificationEvaluationMetrics?.auPrc ?? null, labels: evaluations.filter(e => e.annotationSpecId).map(e => e.displayName).sort() });

  const [deployOp] = await client.deployModel({ name: model.name });
  await deployOp.promise();
  const [deployed] = await client.getModel({ name: model.name });
  print('deployModel', { deploymentState: deployed.deploymentState });

  const [predicted] = await prediction.predict({ name: model.name, payload: { image: { imageBytes: readFileSync(photoPath) } }, params: { score_threshold: '0.0' } });
  print('predict', { payload: predicted.payload.map(p => ({ displayName: p.displayName, score: p.classification.score })) });

  const [undeployOp] = await client.undeployModel({ name: model.name });
  await undeployOp.promise();
  const [undeployed] = await client.getModel({ name: model.name });
  print('undeployModel', { deploymentState: undeployed.deploymentState });

  const [deleteModelOp] = await client.deleteModel({ name: model.name });
  await deleteModelOp.promise();
  const [deleteOp] = await client.deleteDataset({ name: dataset.name });
  await deleteOp.promise();
  // With google-auth-library's client, gax's REST stub passes an HTTP error on as the auth client's GaxiosError (status in
  // code, the body as the message); gax's own GoogleError.parseHttpError reads that body into the gRPC code and reason.
  const notFound = async (step, call) => {
    try {
      await call();
      print(step, { found: true });
    } catch (error) {
      const parsed = GoogleError.parseHttpError(JSON.parse(error.message));
      print(step, { found: false, httpCode: error.code, code: parsed.code, reason: parsed.reason ?? null, message: parsed.message });
    }
  };
  await notFound('getDeleted', () => client.getDataset({ name: dataset.name }));
  await notFound('getDeletedModel', () => client.getModel({ name: model.name }));
} catch (error) {
  print('failed', { message: error.message, code: error.code ?? null, stack: error.stack?.split('\n').slice(0, 6).join(' | ') });
  process.exit(1);
}
