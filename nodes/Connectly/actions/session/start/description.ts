import type { INodeProperties } from 'n8n-workflow';
import { clientKeyField, optionsField, timeoutOptions } from '../../../shared/descriptions';

export const description: INodeProperties[] = [
  clientKeyField('session', 'start'),
  optionsField('session', 'start', timeoutOptions),
];
