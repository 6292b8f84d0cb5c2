import type { INodeProperties } from 'n8n-workflow';
import { messageFields } from '../fields';

export const description: INodeProperties[] = messageFields('sendMessage', true);
