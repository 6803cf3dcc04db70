export * from './pci';
export * from './host';
export * from './finding';
export * from './helper';
export * from './vms';
