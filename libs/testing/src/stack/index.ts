export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process';
export { bundleApps } from './bundle-apps';
export { startCallbackReceiver, type CallbackReceiver, type CallbackReceiverOptions, type ReceivedCallback } from './callback-receiver';
