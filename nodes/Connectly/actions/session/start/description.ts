import type { INodeProperties } from 'n8n-workflow';
import { clientKeyField, optionsField, timeoutOptions } from '../../../shared/descriptions';

export const description: INodeProperties[] = [
  clientKeyField(['start'], 'session'),
  optionsField('session', 'start', timeoutOptions),
];
