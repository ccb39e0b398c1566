export { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process';
export { startCallbackReceiver, type CallbackReceiver, type CallbackReceiverOptions, type ReceivedCallback } from './callback-receiver';
